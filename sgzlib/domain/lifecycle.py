"""Case and group lifecycles, derived from dated records (never typed by hand).

A case moves 接案 → 预估 → 计划 → 介入 → 评估 → 结案 (or 转介结案). Its stage
on a date is the furthest milestone reached by then, where a milestone's date
is the date in the 个案 row or, when that is blank, the completion date of the
matching record in 个案文书; 介入 starts with the first session.

Everything here works on a whole ``Dataset`` at once (one row per case or
group in the result), so a district is as cheap as a station.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Problem
from .vocab import CASE_RECORD_SET, REFERRAL_STAGE

# Milestones in process order: (stage, case column, record kind that can stand in for it).
CASE_MILESTONES = (
    ("接案", "opened", "接案记录表"),
    ("预估", "assessed", "预估表"),
    ("计划", "agreement", "服务协议"),
    ("计划", "planned", "工作计划表"),
    ("评估", "evaluated", "评估表"),
    ("结案", "closed", "结案表"),
)
# The records a case is expected to have once it has reached a stage.
EXPECTED_BY_STAGE = {
    "接案": ("接案记录表",),
    "预估": ("接案记录表", "预估表"),
    "计划": ("接案记录表", "预估表", "服务协议", "工作计划表"),
    "介入": ("接案记录表", "预估表", "服务协议", "工作计划表", "过程记录表"),
    "评估": ("接案记录表", "预估表", "服务协议", "工作计划表", "过程记录表", "评估表"),
    "结案": CASE_RECORD_SET,
    REFERRAL_STAGE: CASE_RECORD_SET,
}
STAGE_ORDER = {"接案": 0, "预估": 1, "计划": 2, "介入": 3, "评估": 4, "结案": 5, REFERRAL_STAGE: 5}


@dataclass(frozen=True)
class CaseRules:
    """When a case needs attention: no activity for more than ``stalled_days``, open more than ``long_open_days``.

    Whether a case counts is the indicator engine's verdict (``sgzlib.indicators``, rule ``qualified_cases``),
    read for the project's own catalogue; these thresholds are not counting rules.
    """

    stalled_days: int = 30
    long_open_days: int = 180


@dataclass(frozen=True)
class GroupRules:
    """When a running group needs attention: no session for more than ``stalled_days``.

    Whether a group counts is the indicator engine's verdict (rule ``qualified_groups``).
    """

    stalled_days: int = 30


def _ts(as_of: dt.date | str | None) -> pd.Timestamp:
    return pd.Timestamp.max.floor("D") if as_of is None else pd.Timestamp(as_of)


def case_milestones(ds, as_of=None) -> pd.DataFrame:
    """One row per case: the date each milestone was reached by ``as_of`` (NaT if not)."""
    when = _ts(as_of)
    cases = ds.cases.set_index("code")
    records = ds.case_records[ds.case_records["date"] <= when]
    record_dates = records.groupby(["case_code", "kind"])["date"].min().unstack()
    out = pd.DataFrame(index=cases.index)
    for _, column, kind in CASE_MILESTONES:
        own = cases[column].where(cases[column] <= when)
        from_record = record_dates[kind] if kind in record_dates else pd.Series(dtype="datetime64[s]")
        out[column] = own.fillna(from_record.reindex(out.index))
    sessions = ds.case_sessions[ds.case_sessions["date"] <= when]
    first_last = sessions.groupby("case_code")["date"].agg(["min", "max", "count"])
    out["first_session"] = first_last["min"].reindex(out.index)
    out["last_session"] = first_last["max"].reindex(out.index)
    out["sessions"] = first_last["count"].reindex(out.index).fillna(0).astype(int)
    return out


def case_stage(milestones: pd.DataFrame, close_reason: pd.Series) -> pd.Series:
    """The furthest stage each case reached, from its milestone dates."""
    stage = pd.Series("接案", index=milestones.index, dtype="object")
    stage[milestones["assessed"].notna()] = "预估"
    stage[milestones["agreement"].notna() | milestones["planned"].notna()] = "计划"
    stage[milestones["first_session"].notna()] = "介入"
    stage[milestones["evaluated"].notna()] = "评估"
    closed = milestones["closed"].notna()
    referred = closed & (close_reason.reindex(milestones.index) == "转介")
    stage[closed] = "结案"
    stage[referred] = REFERRAL_STAGE
    return stage


def case_overview(ds, as_of=None, rules: CaseRules = CaseRules()) -> pd.DataFrame:
    """Every case on ``as_of``: stage, records missing, attention flags (no counting rule: see ``indicators``).

    Columns: code, station_code, beneficiary_code, domain, worker_code, risk,
    exemplary, stage, opened, closed, sessions, last_activity, days_idle,
    open_days, stalled, open_too_long, missing_records (expected by the stage
    reached), absent_records (every record of the complete set not there yet).
    Records are named as users know them; 过程记录表 names the sessions that lack it.
    """
    when = _ts(as_of)
    cases = ds.cases.set_index("code")
    cases = cases[cases["opened"] <= when]
    ms = case_milestones(ds, as_of).reindex(cases.index)
    out = cases[["station_code", "beneficiary_code", "domain", "worker_code", "risk", "exemplary"]].copy()
    out["stage"] = case_stage(ms, cases["close_reason"])
    out["opened"] = ms["opened"]
    out["closed"] = ms["closed"]
    out["sessions"] = ms["sessions"]

    sessions = ds.case_sessions[(ds.case_sessions["date"] <= when) & ds.case_sessions["case_code"].isin(cases.index)]
    no_record = sessions[sessions["process_record"].ne(True)]
    no_record_seqs = _seq_lists(no_record, "case_code", out.index)
    have = _case_records_present(ds, when, out.index)
    have["过程记录表"] = (out["sessions"] > 0) & (no_record_seqs == "")

    dates = ms[["opened", "assessed", "agreement", "planned", "evaluated", "closed", "last_session"]]
    out["last_activity"] = dates.max(axis=1)
    is_open = out["closed"].isna()
    out["days_idle"] = (when - out["last_activity"]).dt.days.where(is_open)
    out["open_days"] = ((out["closed"].fillna(when)) - out["opened"]).dt.days
    out["stalled"] = is_open & (out["days_idle"] > rules.stalled_days)
    out["open_too_long"] = is_open & (out["open_days"] > rules.long_open_days)

    labels = pd.DataFrame({k: k for k in CASE_RECORD_SET}, index=out.index)
    labels["过程记录表"] = ("过程记录表（第" + no_record_seqs + "节）").where(
        out["sessions"] > 0, "过程记录表（尚无服务节次）")
    absent = labels.where(~have[list(CASE_RECORD_SET)])
    stage_codes, stages = pd.factorize(out["stage"].to_numpy(dtype=object))
    by_stage = np.array([[k in EXPECTED_BY_STAGE[st] for k in CASE_RECORD_SET] for st in stages],
                        dtype=bool).reshape(len(stages), len(CASE_RECORD_SET))
    expected = pd.DataFrame(by_stage[stage_codes], index=out.index, columns=list(CASE_RECORD_SET))
    out["missing_records"] = _row_tuples(absent.where(expected))
    out["absent_records"] = _row_tuples(absent)
    return out.reset_index(names="code")


def _seq_lists(sessions: pd.DataFrame, owner: str, index: pd.Index) -> pd.Series:
    """Per owner, the session numbers of ``sessions`` joined by 、 ("" when none)."""
    ordered = sessions[sessions[owner].notna()].sort_values([owner, "seq"])
    keys = ordered[owner].to_numpy(dtype=object)
    seqs = ordered["seq"].astype(int).astype(str).to_numpy(dtype=object)
    # sorted by owner: each owner's sessions are one run of rows (a groupby with "、".join, without calling
    # Python once per owner through pandas)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(keys)]
    joined = pd.Series(["、".join(seqs[i:j]) for i, j in zip(starts, ends)], index=keys[starts], dtype=object)
    return joined.reindex(index).fillna("").astype(object)


def _row_tuples(frame: pd.DataFrame) -> pd.Series:
    """Each row's non-null values as a tuple, in column order."""
    values = frame.to_numpy(dtype=object)
    return pd.Series([tuple([v for v in row if isinstance(v, str)]) for row in values.tolist()], index=frame.index,
                     dtype="object")


def _case_records_present(ds, when: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    records = ds.case_records[(ds.case_records["date"] <= when) & ds.case_records["case_code"].isin(index)]
    kinds = records.groupby(["case_code", "kind"]).size().unstack().reindex(index=index).notna()
    return pd.DataFrame({k: kinds.get(k, False) for k in CASE_RECORD_SET if k != "过程记录表"}, index=index)


def case_problems(ds) -> list[Problem]:
    """Impossible case histories, each naming the case and the rule broken."""
    cases = ds.cases.set_index("code")
    out: list[Problem] = []

    def add(code, rule, message, column="", value=None, where="个案", key=None):
        out.append(Problem(rule, f"个案 {code}：{message}", where=where, column=column, value=value,
                           key=key or (code,)))

    opened = cases["opened"]
    for column, label in (("assessed", "预估日期"), ("agreement", "服务协议日期"), ("planned", "工作计划日期"),
                          ("evaluated", "评估日期"), ("closed", "结案日期")):
        bad = cases[cases[column] < opened]
        rule = "closed_before_opened" if column == "closed" else "milestone_before_opened"
        for code, row in bad.iterrows():
            add(code, rule, f"{label}（{row[column]:%Y-%m-%d}）早于接案日期（{row['opened']:%Y-%m-%d}）",
                label, f"{row[column]:%Y-%m-%d}")
    for code, row in cases[cases["evaluated"] > cases["closed"]].iterrows():
        add(code, "evaluated_after_closed", f"评估日期（{row['evaluated']:%Y-%m-%d}）晚于结案日期"
            f"（{row['closed']:%Y-%m-%d}）", "评估日期", f"{row['evaluated']:%Y-%m-%d}")
    referral = cases[(cases["close_reason"] == "转介") & cases["referral_to"].isna()]
    for code in referral.index:
        add(code, "referral_without_destination", "结案原因为转介，但没有填写转介去向", "转介去向")
    for code in cases[cases["close_reason"].notna() & cases["closed"].isna()].index:
        add(code, "reason_without_closure", "填写了结案原因，但没有结案日期", "结案日期")

    sessions = ds.case_sessions.join(cases[["opened", "closed", "evaluated"]], on="case_code")
    for _, s in sessions[sessions["date"] < sessions["opened"]].iterrows():
        add(s["case_code"], "session_before_opened", f"第{s['seq']}节（{s['date']:%Y-%m-%d}）早于接案日期"
            f"（{s['opened']:%Y-%m-%d}）", "服务日期", f"{s['date']:%Y-%m-%d}", "个案服务", (s["case_code"], s["seq"]))
    for _, s in sessions[sessions["date"] > sessions["closed"]].iterrows():
        add(s["case_code"], "session_after_closed", f"第{s['seq']}节（{s['date']:%Y-%m-%d}）在结案"
            f"（{s['closed']:%Y-%m-%d}）之后", "服务日期", f"{s['date']:%Y-%m-%d}", "个案服务", (s["case_code"], s["seq"]))
    first = ds.case_sessions.groupby("case_code")["date"].min()
    evaluated = cases["evaluated"].dropna()
    early = evaluated[~(first.reindex(evaluated.index) <= evaluated)]
    for code, date in early.items():
        add(code, "evaluated_before_intervention",
            f"评估日期（{date:%Y-%m-%d}）之前没有任何介入服务节次：评估不能早于介入", "评估日期", f"{date:%Y-%m-%d}")
    out += _order_problems(ds.case_sessions, "case_code", "个案", "个案服务")
    records = ds.case_records.join(cases[["opened"]], on="case_code")
    for _, r in records[records["date"] < records["opened"]].iterrows():
        add(r["case_code"], "record_before_opened", f"{r['kind']}完成日期（{r['date']:%Y-%m-%d}）早于接案日期",
            "完成日期", f"{r['date']:%Y-%m-%d}", "个案文书", (r["case_code"], r["kind"]))
    return out


def _order_problems(sessions: pd.DataFrame, owner: str, label: str, sheet: str) -> list[Problem]:
    """Sessions whose numbers and dates disagree (a later session dated before an earlier one)."""
    ordered = sessions.sort_values([owner, "seq"])
    prev = ordered.groupby(owner)["date"].cummax().groupby(ordered[owner]).shift()
    bad = ordered[ordered["date"] < prev]
    return [Problem("session_order", f"{label} {r[owner]}：第{r['seq']}节的日期（{r['date']:%Y-%m-%d}）"
                    f"早于前面的节次", where=sheet, column="节次", value=r["seq"], key=(r[owner], r["seq"]))
            for _, r in bad.iterrows()]


def group_overview(ds, as_of=None, rules: GroupRules = GroupRules()) -> pd.DataFrame:
    """Every group on ``as_of``: stage, sessions held, records missing (no counting rule: see ``indicators``).

    Columns: code, station_code, domain, name, leader_code, exemplary, stage,
    sessions, missing_records (records due by now: the plan, and the unit plan
    and process record of each session held), absent_records (those and the
    evaluation report, which a group has once it ended),
    last_session, days_idle, stalled.
    """
    when = _ts(as_of)
    groups = ds.groups.set_index("code")
    sessions = ds.group_sessions[(ds.group_sessions["date"] <= when) & ds.group_sessions["group_code"].isin(groups.index)]
    out = groups[["station_code", "domain", "name", "leader_code", "exemplary"]].copy()
    reported = groups["report_date"] <= when
    agg = sessions.groupby("group_code")["date"].agg(["count", "max"])
    out["sessions"] = agg["count"].reindex(out.index).fillna(0).astype(int)
    out["last_session"] = agg["max"].reindex(out.index)
    out["stage"] = "筹备"
    out.loc[out["sessions"] > 0, "stage"] = "开展中"
    out.loc[reported & (out["sessions"] > 0), "stage"] = "已结束"

    unit = _seq_lists(sessions[sessions["unit_plan"].ne(True)], "group_code", out.index)
    proc = _seq_lists(sessions[sessions["process_record"].ne(True)], "group_code", out.index)
    no_plan = groups["plan_date"].isna() | (groups["plan_date"] > when)
    gaps = pd.DataFrame({
        "plan": pd.Series("小组服务计划书", index=out.index).where(no_plan),
        "unit": ("单元计划书（第" + unit + "节）").where(unit != ""),
        "proc": ("过程记录表（第" + proc + "节）").where(proc != ""),
        "report": pd.Series("评估总结报告", index=out.index).where(~reported),
    })
    out["absent_records"] = _row_tuples(gaps)
    out["missing_records"] = _row_tuples(gaps.drop(columns="report"))
    out["days_idle"] = (when - out["last_session"]).dt.days.where(out["stage"] == "开展中")
    out["stalled"] = (out["days_idle"] > rules.stalled_days).fillna(False).astype(bool)
    return out.reset_index(names="code")


def group_problems(ds) -> list[Problem]:
    """Impossible group histories: negative attendance, a report before the last session, sessions out of order."""
    out: list[Problem] = []
    sessions = ds.group_sessions
    for _, s in sessions[sessions["attendance"] < 0].iterrows():
        out.append(Problem("negative_attendance", f"小组 {s['group_code']}：第{s['seq']}节签到人数不能为负数",
                           where="小组活动", column="签到人数", value=s["attendance"], key=(s["group_code"], s["seq"])))
    last = sessions.groupby("group_code")["date"].max()
    groups = ds.groups.set_index("code")
    early = groups[groups["report_date"] < last.reindex(groups.index)]
    for code, row in early.iterrows():
        out.append(Problem("report_before_last_session",
                           f"小组 {code}：评估总结报告日期（{row['report_date']:%Y-%m-%d}）早于最后一节活动"
                           f"（{last[code]:%Y-%m-%d}）", where="小组", column="评估总结报告日期",
                           value=f"{row['report_date']:%Y-%m-%d}", key=(code,)))
    return out + _order_problems(sessions, "group_code", "小组", "小组活动")
