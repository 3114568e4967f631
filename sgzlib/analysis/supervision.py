"""What a supervisor looks at for one station on one date, and the agenda that follows.

Attention lists are computed from the lifecycles (``lifecycle``), the evidence
rules (``evidence``) and the supervision ledger, over a ``Dataset``. Whether a
case or group counts, and why not, is never decided here: it is the indicator
engine's verdict for the project's own catalogue (``Evaluation.work_verdicts``),
passed in as ``evaluation`` or computed for the stations' projects. The
thresholds here (stalled after N days, open too long, high risk) only decide
what needs attention. The outcome frames come in from their own module. Names are whatever the dataset holds: mask the dataset
first (``privacy.mask_dataset``) for anything that leaves the station.

Everything returns DataFrames with English column names; ``agenda`` turns
them into Chinese items, most urgent first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from ..domain.labels import ACTION_OPEN as OPEN_ACTION
from ..domain.labels import (
    BEHIND,
    MISSED,
    NEEDS_ATTENTION,
    NOT_STARTED,
    PERIOD_WHOLE,
    STATUS_HINT,
    STATUS_ORDER,
    TO_VERIFY,
)
from ..domain.lifecycle import CaseRules, GroupRules, case_overview, group_overview
from ..domain.vocab import CASE_RECORD_SET
from ..indicators import evaluate_stations
from ..indicators.evidence import photo_check, service_evidence
from ..indicators.verdicts import COLUMNS as VERDICT_COLUMNS
from .supervision_cycle import action_register

__all__ = ["STATUS_ORDER", "AttentionRules", "Attention", "station_attention", "cases_needing_attention",
           "groups_at_risk", "evidence_problems", "action_items", "indicators_needing_attention", "agenda",
           "work_verdicts", "with_verdicts", "records_text", "refs_text"]
CASE = "个案"
GROUP = "小组"
NOT_COUNTED = "可能不被认定"
NOT_JUDGED = "本项目指标清单不考核"
# Agenda priorities: 1 act now, 2 discuss this session, 3 fix the records, 4 keep an eye on.
PRIORITY_LABELS = {1: "紧急", 2: "重要", 3: "整改", 4: "关注"}


@dataclass(frozen=True)
class AttentionRules:
    """When a case or a group needs the supervisor's attention (thresholds, not counting rules)."""

    cases: CaseRules = CaseRules()
    groups: GroupRules = GroupRules()
    high_risk: tuple[str, ...] = ("高",)


def _ts(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of)


def _stations(ds, station: str | list[str]) -> list[str]:
    return ds.descendants(station)


def _names(ds) -> pd.Series:
    return ds.beneficiaries.set_index("code")["name"]


def work_verdicts(ds, station: str | list[str], as_of, kind: str, evaluation=None) -> pd.DataFrame:
    """The engine's verdict on each case (``kind`` 个案) or group (小组) of the stations' projects, by code.

    ``evaluation`` is an ``Evaluation`` on ``as_of`` covering those projects; without it the projects are
    evaluated here. Columns as ``Evaluation.work_verdicts``; index: the case or group code.
    """
    evaluation = evaluation if evaluation is not None else evaluate_stations(ds, station, as_of)
    if evaluation is None:
        return pd.DataFrame(columns=VERDICT_COLUMNS).set_index("code")
    return evaluation.work_verdicts(kind).drop_duplicates("code").set_index("code")


def with_verdicts(frame: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (cases or groups, by ``code``) with the engine's verdict from ``work_verdicts``.

    Adds counted (True/False, None when no indicator judged it), not_counted, count_reason,
    counted_sessions, needed, engine_missing_records and engine_short_sessions.
    """
    frame = frame.copy()
    v = verdicts.reindex(frame["code"])
    judged = v["counted"].notna().to_numpy()
    frame["counted"] = pd.Series([bool(c) if j else None for c, j in zip(v["counted"].to_numpy(dtype=object), judged)],
                                 index=frame.index, dtype=object)
    # a bool Series, so that selecting by it on an empty frame selects rows, not (no) columns
    frame["not_counted"] = pd.Series([c is False for c in frame["counted"]], index=frame.index, dtype=bool)
    frame["count_reason"] = [r if j else NOT_JUDGED for r, j in zip(v["reason"].to_numpy(dtype=object), judged)]
    for col in ("counted_sessions", "needed"):
        frame[col] = v[col].to_numpy(dtype=object)
    empty = [()] * len(frame)
    for col in ("missing_records", "short_sessions"):
        frame["engine_" + col] = [t if isinstance(t, tuple) else () for t in v[col].to_numpy(dtype=object)] \
            if len(frame) else empty
    return frame


def cases_needing_attention(ds, station: str | list[str], as_of, evaluation=None,
                            rules: AttentionRules = AttentionRules()) -> pd.DataFrame:
    """Cases of the station that may not count, are stalled, missing records, high-risk or open too long.

    Whether a case counts, why not and which records it lacks for that come from the engine (``evaluation``,
    see ``work_verdicts``). Columns: code, station_code, beneficiary_code, beneficiary_name, domain,
    worker_code, stage, opened, sessions, days_idle, open_days, risk, counted, count_reason, not_counted,
    stalled, missing_any, high_risk, open_too_long, flags, missing (the records due by the stage reached and
    those the engine names, joined by 、), urgency. Closed cases appear only when they are flagged.
    """
    cases = case_overview(ds, as_of, rules.cases)
    cases = cases[cases["station_code"].isin(_stations(ds, station))].copy()
    cases = with_verdicts(cases, work_verdicts(ds, station, as_of, CASE, evaluation))
    is_open = cases["closed"].isna()
    assessed = cases["beneficiary_code"].map(_latest_assessment_risk(ds, as_of)).astype("string")
    cases["risk"] = cases["risk"].astype("string").fillna(assessed)
    cases["high_risk"] = is_open & cases["risk"].isin(rules.high_risk)
    cases["has_missing"] = cases["missing_records"].map(len) > 0
    flags = {"not_counted": NOT_COUNTED, "high_risk": "高风险", "stalled": "停滞", "has_missing": "文书缺失",
             "open_too_long": "开案过久"}
    wanted = cases[list(flags)].fillna(False).astype(bool)
    cases = cases[wanted.any(axis=1)].copy()
    wanted = wanted.loc[cases.index]
    cases["flags"] = [tuple(label for col, label in flags.items() if row[col]) for _, row in wanted.iterrows()]
    cases["missing"] = [records_text(a, b) for a, b in zip(cases["missing_records"], cases["engine_missing_records"])]
    cases["urgency"] = (3 * wanted["high_risk"] + 2 * wanted["stalled"] + wanted["has_missing"]
                        + wanted["open_too_long"] + wanted["not_counted"])
    cases["beneficiary_name"] = cases["beneficiary_code"].map(_names(ds))
    cases = cases.rename(columns={"has_missing": "missing_any"})
    columns = ["code", "station_code", "beneficiary_code", "beneficiary_name", "domain", "worker_code", "stage", "opened",
               "sessions", "days_idle", "open_days", "risk", "counted", "count_reason", "not_counted", "stalled",
               "missing_any", "high_risk", "open_too_long", "flags", "missing", "urgency"]
    ordered = cases.sort_values(["urgency", "days_idle", "code"], ascending=[False, False, True])
    return ordered[columns].reset_index(drop=True)


def records_text(*lists: tuple) -> str:
    """Records of several lists, each once, in the order of the complete record set."""
    items = list(dict.fromkeys(item for t in lists for item in t))
    rank = {k: i for i, k in enumerate(CASE_RECORD_SET)}
    return "、".join(sorted(items, key=lambda x: rank.get(x.split("（")[0], len(rank))))


def _latest_assessment_risk(ds, as_of) -> pd.Series:
    done = ds.assessments[ds.assessments["date"] <= _ts(as_of)].sort_values("date")
    return done.groupby("beneficiary_code")["risk"].last()


def groups_at_risk(ds, station: str | list[str], as_of, evaluation=None,
                   rules: AttentionRules = AttentionRules()) -> pd.DataFrame:
    """Groups of the station that the engine does not count (on ``as_of``, for their project's catalogue), and why.

    Columns: code, station_code, name, domain, leader_code, stage, sessions, counted_sessions, needed,
    short_sessions, missing, why (the engine's reason), days_idle, stalled.
    """
    groups = group_overview(ds, as_of, rules.groups)
    groups = groups[groups["station_code"].isin(_stations(ds, station))].copy()
    groups = with_verdicts(groups, work_verdicts(ds, station, as_of, GROUP, evaluation))
    groups = groups[groups["not_counted"]].copy()
    groups["short_sessions"] = groups["engine_short_sessions"]
    groups["missing"] = groups["engine_missing_records"].map("、".join)
    groups["why"] = groups["count_reason"]
    columns = ["code", "station_code", "name", "domain", "leader_code", "stage", "sessions", "counted_sessions", "needed",
               "short_sessions", "missing", "why", "days_idle", "stalled"]
    return groups.sort_values(["needed", "code"], ascending=[False, True])[columns].reset_index(drop=True)


def evidence_problems(ds, station: str | list[str], as_of) -> pd.DataFrame:
    """Services without a watermark photo or with a reused one, and group sessions without a sign-in sheet.

    Columns: kind (无水印照片 / 照片重复使用 / 无签到表), station_code, record, date, domain, detail. Sorted by kind, date.
    """
    when, codes = _ts(as_of), _stations(ds, station)
    checked = service_evidence(ds)
    bad = checked[checked["station_code"].isin(codes) & (checked["date"] <= when) & ~checked["valid"]]
    kinds = bad["reason_code"].map({"no_photo": "无水印照片", "reused_photo": "照片重复使用"})
    services = pd.DataFrame({"kind": kinds, "station_code": bad["station_code"], "record": bad["code"], "date": bad["date"],
                             "domain": bad["domain"], "detail": bad["category"] + "：" + bad["reason"]})
    sessions = ds.group_sessions.merge(ds.groups[["code", "station_code", "domain", "name"]],
                                       left_on="group_code", right_on="code")
    sessions = sessions[sessions["station_code"].isin(codes) & (sessions["date"] <= when)
                        & sessions["sign_in"].ne(True)]
    sign_in = pd.DataFrame({"kind": "无签到表", "station_code": sessions["station_code"], "record": sessions["group_code"] + " 第" + sessions["seq"].astype(str) + "节",
                            "date": sessions["date"], "domain": sessions["domain"],
                            "detail": sessions["name"] + "：室内活动须有含联系电话的签到表"})
    out = pd.concat([services, sign_in], ignore_index=True)
    order = {"无水印照片": 0, "照片重复使用": 1, "无签到表": 2}
    return out.sort_values(["kind", "date", "record"], key=lambda s: s.map(order) if s.name == "kind" else s,
                           ignore_index=True)


def group_session_photos(ds, station: str | list[str], as_of) -> pd.DataFrame:
    """``photo_check`` of the station's group sessions up to ``as_of`` (for the cases dashboard)."""
    sessions = ds.group_sessions.merge(ds.groups[["code", "station_code"]], left_on="group_code", right_on="code")
    sessions = sessions[sessions["station_code"].isin(_stations(ds, station)) & (sessions["date"] <= _ts(as_of))]
    checked = photo_check(sessions.reset_index(drop=True), ["group_code", "seq"])
    return pd.concat([sessions[["group_code", "seq", "date"]].reset_index(drop=True), checked], axis=1)


def action_items(ds, station: str | list[str], as_of) -> pd.DataFrame:
    """Action items of the station not yet done on ``as_of``; those from the last session are marked.

    Items of the 督导记录 sheet and of recorded sessions alike (``supervision_cycle.action_register``), with their
    latest status. Columns: code, station_code, date, supervisor, topic, action, due, status, overdue,
    days_overdue, last_session, owner_code, carried_over, flags, trail (list of (date, status)).
    """

    reg = action_register(ds, station, as_of)
    items = reg[reg["status"].isin(OPEN_ACTION)]
    columns = ["code", "station_code", "date", "supervisor", "topic", "action", "due", "status", "overdue", "days_overdue",
               "last_session", "owner_code", "carried_over", "flags", "trail"]
    return items[columns].reset_index(drop=True)


def indicators_needing_attention(results: pd.DataFrame) -> pd.DataFrame:
    """The summary rows (全期) whose status is not 达标/进度正常, most urgent first."""
    if results is None or results.empty:
        return pd.DataFrame(columns=["indicator_id", "indicator_name", "status", "actual", "target", "expected", "note"])
    rows = results[(results["period"] == PERIOD_WHOLE) & results["status"].isin(NEEDS_ATTENTION)].copy()
    rows["_rank"] = rows["status"].map(STATUS_ORDER.index)
    rows["_gap"] = (rows["expected"].fillna(rows["target"]) - rows["actual"]).fillna(0)
    return rows.sort_values(["_rank", "_gap"], ascending=[True, False]).drop(columns=["_rank", "_gap"]) \
        .reset_index(drop=True)


@dataclass
class Attention:
    """Everything a supervisor looks at for one station on one date."""

    station: str
    as_of: dt.date
    cases: pd.DataFrame
    groups: pd.DataFrame
    evidence: pd.DataFrame
    actions: pd.DataFrame
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)
    worsened: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing_post: pd.DataFrame = field(default_factory=pd.DataFrame)
    rules: AttentionRules = AttentionRules()
    spending: pd.DataFrame = field(default_factory=pd.DataFrame)  # open spending flags, with what the station does

    @property
    def agenda(self) -> pd.DataFrame:
        return agenda(self)


def station_attention(ds, station: str, as_of, results: pd.DataFrame | None = None,
                      worsened: pd.DataFrame | None = None, missing_post: pd.DataFrame | None = None,
                      rules: AttentionRules = AttentionRules(), evaluation=None) -> Attention:
    """All attention lists of ``station`` on ``as_of``.

    ``evaluation`` is the ``Evaluation`` of the station's project on ``as_of`` (its results are used when
    ``results`` is not given; evaluated here when neither is), ``worsened`` and ``missing_post`` the frames of
    ``outcomes.worsened`` / ``outcomes.missing_post``; each is filtered to the station here.
    """
    if evaluation is None:
        evaluation = evaluate_stations(ds, station, as_of)
    if results is None and evaluation is not None:
        results = evaluation.results
    codes = _stations(ds, station)
    people = set(ds.beneficiaries.loc[ds.beneficiaries["station_code"].isin(codes), "code"])

    def mine(frame):
        if frame is None or frame.empty:
            return pd.DataFrame()
        if "station_code" in frame:
            return frame[frame["station_code"].isin(codes)].reset_index(drop=True)
        return frame[frame["beneficiary_code"].isin(people)].reset_index(drop=True)

    return Attention(station, pd.Timestamp(as_of).date(),
                     cases_needing_attention(ds, station, as_of, evaluation, rules),
                     groups_at_risk(ds, station, as_of, evaluation, rules),
                     evidence_problems(ds, station, as_of), action_items(ds, station, as_of),
                     indicators_needing_attention(mine(results)), mine(worsened), mine(missing_post), rules,
                     spending_flags(evaluation))


def spending_flags(evaluation) -> pd.DataFrame:
    """The evaluation's spending flags not cleared by an evaluator, with the check's name and what the
    station does about it (``indicators.spending``)."""
    if evaluation is None or evaluation.spending.records.empty:
        return pd.DataFrame()
    sp = evaluation.spending
    how = sp.checks[["project_code", "check_id", "name", "station_action"]]
    return sp.open_records.merge(how, on=["project_code", "check_id"], how="left")


def _codes(frame: pd.DataFrame, column: str = "code", label=None, limit: int = 8) -> str:
    items = [f"{r[column]}（{label(r)}）" if label else str(r[column]) for _, r in frame.head(limit).iterrows()]
    more = f" 等 {len(frame)} 个" if len(frame) > limit else ""
    return "、".join(items) + more


def agenda(att: Attention) -> pd.DataFrame:
    """The suggested supervision agenda, most urgent first.

    Columns: priority (1 紧急, 2 重要, 3 整改, 4 关注), level (its Chinese label), topic, item (the whole line),
    what, why, records (its parts, for the pre-filled 督导记录 workbook), refs (count), keys (the codes of what it
    is about: indicator numbers, case, group, record or action codes; ``refs_text`` writes them in one line).
    """
    items: list[tuple] = []

    def add(priority, weight, topic, what, records, n, why="", suffix="", keys=()):
        if n:
            items.append((priority, -weight, topic, f"{what}：{records}{suffix}", what, why or suffix.strip("（）"),
                          records, n, tuple(str(k) for k in keys)))

    ind = att.indicators
    for status, priority in ((MISSED, 1), (BEHIND, 2), (TO_VERIFY, 3)):
        rows = ind[ind["status"] == status] if not ind.empty else ind
        add(priority, len(rows), "指标进度", f"{len(rows)} 项指标{status}", "、".join(rows["indicator_name"].astype(str)),
            len(rows), suffix=_ind_hint(status), keys=rows["indicator_id"] if len(rows) else ())
    overdue = att.actions[att.actions["overdue"]]
    add(1, len(overdue), "督导行动项", f"{len(overdue)} 项行动项已逾期", _codes(
        overdue, "action", lambda r: f"期限 {r['due']:%Y-%m-%d}，逾期 {int(r['days_overdue'])} 天"), len(overdue),
        why="超过期限仍未完成", keys=overdue["code"])
    cases = att.cases
    urgent = cases[cases["high_risk"] & (cases["stalled"] | cases["missing_any"])]
    add(1, len(urgent), "个案", f"{len(urgent)} 个高风险个案停滞或文书不全，需逐案研判", _codes(urgent, label=_case_label),
        len(urgent), why="高风险且停滞或文书不全", keys=urgent["code"])
    rest_high = cases[cases["high_risk"] & ~cases.index.isin(urgent.index)]
    add(2, len(rest_high), "个案", f"{len(rest_high)} 个高风险个案在案，复核风险与安全计划",
        _codes(rest_high, label=_case_label), len(rest_high), why="风险等级为高", keys=rest_high["code"])
    stalled = cases[cases["stalled"] & ~cases["high_risk"]]
    add(2, len(stalled), "个案", f"{len(stalled)} 个个案停滞超过 {att.rules.cases.stalled_days} 天", _codes(
        stalled, label=lambda r: f"{int(r['days_idle'])} 天无进展"), len(stalled),
        why=f"超过 {att.rules.cases.stalled_days} 天无服务或文书进展", keys=stalled["code"])
    if not att.worsened.empty:
        w = att.worsened
        add(2, len(w), "服务成效", f"{len(w)} 名服务对象后测变差，讨论原因与调整计划", _codes(w, "beneficiary_code"), len(w),
            why="后测得分差于前测", keys=w["beneficiary_code"])
    add(2, len(att.groups), "小组", f"{len(att.groups)} 个小组可能不被认定", _codes(
        att.groups, label=lambda r: r["why"].split("；")[0]), len(att.groups), why="有效节次或文书不足",
        keys=att.groups["code"] if len(att.groups) else ())
    for kind in ("照片重复使用", "无水印照片", "无签到表"):
        rows = att.evidence[att.evidence["kind"] == kind]
        add(3, len(rows), "佐证材料", f"{len(rows)} 条{kind}", _codes(rows, "record"), len(rows),
            suffix=_EVIDENCE_HINT[kind], keys=rows["record"])
    flags = att.spending
    for _, rows in (flags.groupby("check_id", sort=False) if not flags.empty else ()):
        add(3, len(rows), "经费使用", f"{len(rows)} 笔支出需核查：{rows['name'].iloc[0]}", _codes(
            rows, "record_id", lambda r: r["basis"]), len(rows), suffix=f"（{rows['station_action'].iloc[0]}）",
            keys=rows["record_id"])
    uncounted = cases[cases["not_counted"] & ~cases["high_risk"]]
    add(2, len(uncounted), "个案", f"{len(uncounted)} 个个案{NOT_COUNTED}", _codes(
        uncounted, label=lambda r: r["count_reason"].split("；")[0]), len(uncounted), why="指标清单的认定条件未满足",
        keys=uncounted["code"])
    paper = cases[cases["missing_any"] & ~cases["high_risk"]]
    add(3, len(paper), "个案", f"{len(paper)} 个个案文书缺失", _codes(paper, label=lambda r: "缺" + r["missing"]),
        len(paper), why="按所处阶段应有的文书未完成", keys=paper["code"])
    open_items = att.actions[~att.actions["overdue"]]
    add(3, len(open_items), "督导行动项", f"{len(open_items)} 项行动项进行中，确认进展", _codes(open_items, "action"),
        len(open_items), why="尚未完成", keys=open_items["code"])
    if not att.missing_post.empty:
        m = att.missing_post
        add(4, len(m), "服务成效", f"{len(m)} 人有前测无后测，安排补测", _codes(m, "beneficiary_code"), len(m),
            why="无法比较前后测", keys=m["beneficiary_code"])
    long_open = cases[cases["open_too_long"] & ~cases["stalled"] & ~cases["high_risk"]]
    add(4, len(long_open), "个案", f"{len(long_open)} 个个案开案时间过长，评估是否结案或转介", _codes(
        long_open, label=lambda r: f"已开案 {int(r['open_days'])} 天"), len(long_open),
        why=f"开案超过 {att.rules.cases.long_open_days} 天", keys=long_open["code"])
    not_started = ind[ind["status"] == NOT_STARTED] if not ind.empty else ind
    add(4, len(not_started), "指标进度", f"{len(not_started)} 项指标尚未开始", "、".join(
        not_started["indicator_name"].astype(str)), len(not_started), why="截至评估日尚无计入记录",
        keys=not_started["indicator_id"] if len(not_started) else ())
    items.sort(key=lambda t: (t[0], t[1]))
    out = pd.DataFrame(items, columns=["priority", "weight", "topic", "item", "what", "why", "records", "refs", "keys"]) \
        .drop(columns="weight")
    out.insert(1, "level", out["priority"].map(PRIORITY_LABELS))
    return out


AGENDA_KEYS_SHOWN = 3  # an agenda line names this many of the things it is about, then says how many there are
# Where in the station report each agenda topic is laid out in full.
AGENDA_SECTIONS = {"指标进度": "三", "个案": "四", "小组": "五", "服务成效": "六", "佐证材料": "七", "经费使用": "七",
                   "督导行动项": "八"}


def refs_text(keys, topic: str = "", limit: int = AGENDA_KEYS_SHOWN) -> str:
    """What an agenda line is about, in one line: the first ``limit`` codes, how many in all, and where the
    station report lists them ("JY-M02-SA、JY-M03-SA、JY-M02-EL 等 16 项，见三")."""
    keys = [str(k) for k in keys]
    text = "、".join(keys[:limit]) + (f" 等 {len(keys)} 项" if len(keys) > limit else "")
    where = AGENDA_SECTIONS.get(topic)
    return f"{text}（见{where}）" if where and text else text


_EVIDENCE_HINT = {"无水印照片": "（不认定服务次数，补拍或核实）", "照片重复使用": "（重复照片只认定一次）",
                  "无签到表": "（补齐含联系电话的签到表）"}


def _ind_hint(status: str) -> str:
    return STATUS_HINT[status]


def _case_label(row) -> str:
    parts = [row["beneficiary_name"]] if isinstance(row["beneficiary_name"], str) else []
    parts += list(row["flags"])
    return "，".join(parts)
