"""Rules that count dated records: per month/quarter, over the whole period, sums of money, minimums."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain.dataset import split_list
from ...domain.schema import TABLE_BY_NAME
from ...domain.vocab import CHARITY_USE
from ..periods import PERIOD_WHOLE, grid, label_categories, month_number, period_number
from ..registry import Param, RuleOutput, explanations, register
from .common import (
    DOMAINS,
    ROSTER_CATEGORIES,
    SERVICE_CATEGORIES,
    as_list,
    service_evidence,
    totals_by_project,
    where_mask,
)

SOURCES = ("services", "charity_aid", "charity_funds", "community_orgs", "volunteers")
DATE_COLUMN = {"services": "date", "charity_aid": "date", "charity_funds": "date", "community_orgs": "started",
               "volunteers": "registered_on"}
ID_COLUMN = {t: "code" for t in SOURCES}
SERVICE_FILTER = {
    "domain": Param("list", choices=DOMAINS, help="服务记录的领域"),
    "category": Param("list", choices=SERVICE_CATEGORIES, help="服务记录的服务类别"),
    "require_upload": Param("bool", help="须已上传中国社会工作网"),
}
SOURCE = Param("str", choices=SOURCES, help="记录来自哪张表（默认 services）")
WHERE = Param("mapping", help="其他表的筛选条件 {列: 值或值列表}")
DATE = Param("str", help="按哪一日期列判断是否在项目期内（默认各表的主日期）")
USE = Param("list", choices=CHARITY_USE.values,
            help="慈善资金只计这些用途（其他用途的行不计，列出原因）；来源为慈善资金时必填")
MIN_AMOUNT = Param("number", help="每次不低于的金额（元），低于的那次不计；0 表示原文写明金额不限")
OTHER_USE = "other_use"
BELOW_MINIMUM = "below_minimum"


def check_charity_use(default_source: str):
    """``Rule.check``: money by purpose (docs/counting-rules.md rule 11) — a charity-funds indicator names its 用途."""
    def check(params: dict) -> list[tuple[str, str]]:
        source = params.get("source", default_source)
        problems = []
        if source == "charity_funds" and not params.get("use"):
            problems.append(("use", "慈善资金按用途计（共募资金 / 专项基金 / 慈善项目各计各的指标），须写明 use"))
        if source == "charity_funds" and "use" in (params.get("where") or {}):
            problems.append(("where", "慈善资金的用途写在 use 参数中，不写在 where 中"))
        if source != "charity_funds" and params.get("use"):
            problems.append(("use", "use 只用于来源为慈善资金（charity_funds）的指标"))
        return problems

    return check


def cached_grid(ctx, jobs, kind: str) -> pd.DataFrame:
    """``periods.grid`` of every project, computed once per evaluation, restricted to the jobs' projects."""
    key = ("grid", kind)
    if key not in ctx.cache:
        ctx.cache[key] = grid(ctx.projects, kind, ctx.as_of)
    g = ctx.cache[key]
    if len(jobs) == len(ctx.projects):
        return g
    return g[g["project_code"].isin(jobs["code"])].reset_index(drop=True)


def records(ctx, ind, params, jobs) -> pd.DataFrame:
    """The source records of the jobs' projects that the indicator considers, with ``valid``/reasons.

    Columns: project_code, record_id, date, month, valid, reason_code, reason
    (and ``amount`` for money tables).
    """
    source = params.get("source", "services")
    cat = ctx.catalogues[jobs["catalogue"].iloc[0]]
    if source == "services":
        rows = ctx.service_rows(cat.id, as_list(params.get("domain")), as_list(params.get("category")))
        if len(jobs) < (ctx.projects["catalogue"] == cat.id).sum():
            rows = rows[rows["project_code"].isin(jobs["code"])]
        return service_evidence(rows, cat.photo_required, cat.upload_required or params.get("require_upload", False))
    date_column = params.get("date_column") or DATE_COLUMN[source]
    owned = ctx.owned(source, date_column)
    owned = owned[owned["project_code"].isin(jobs["code"]) & where_mask(owned, params.get("where"))]
    out = pd.DataFrame({"project_code": owned["project_code"].to_numpy(), "record_id": owned[ID_COLUMN[source]].to_numpy(),
                        "date": owned[date_column].to_numpy(), "valid": True, "reason_code": None,
                        "reason": None, "table": TABLE_BY_NAME[source].sheet})
    value = params.get("column", "amount")
    if value in owned:
        out["amount"] = owned[value].astype(float).to_numpy()
        minimum = params.get("min_amount")
        if minimum:
            low = out["amount"].fillna(0).to_numpy() < minimum
            out.loc[low, ["valid", "reason_code"]] = [False, BELOW_MINIMUM]
            out.loc[low, "reason"] = [f"金额 {a:g} 元低于每次 {minimum:g} 元，这次不计"
                                      for a in out.loc[low, "amount"].fillna(0)]
    if params.get("use"):
        wanted = as_list(params["use"])
        use = owned["use"].astype(object).to_numpy()
        other = ~pd.Series(use).isin(wanted).to_numpy(dtype=bool)
        out.loc[other, ["valid", "reason_code"]] = [False, OTHER_USE]
        out.loc[other, "reason"] = [
            f"用途为「{u}」，只计入该用途的指标（本指标只计{'、'.join(wanted)}）" if isinstance(u, str) and u
            else f"未填写用途，不计入本指标（本指标只计{'、'.join(wanted)}）" for u in use[other]]
    out["month"] = month_number(out["date"])
    return out


@register("period_count", {"source": SOURCE, **SERVICE_FILTER, "where": WHERE, "use": USE,
                           "min_amount": MIN_AMOUNT},
          periods=("month", "quarter"), label="每月/每季度次数", check=check_charity_use("services"))
def period_count(ctx, ind, params, target, jobs) -> RuleOutput:
    """Valid records per calendar month or quarter; every ended period must reach the target.

    With ``min_amount`` an occasion below it does not count towards its period
    (docs/counting-rules.md rule 6), and the period's note says how many fell below.
    """
    recs = records(ctx, ind, params, jobs)
    recs["pnum"] = period_number(recs["month"].to_numpy(), ind.period)
    counts = recs.loc[recs["valid"], ["project_code", "pnum"]].groupby(["project_code", "pnum"]).size().rename("actual")
    periods = cached_grid(ctx, jobs, ind.period)
    periods = periods.join(counts, on=["project_code", "pnum"])
    periods["actual"] = periods["actual"].fillna(0).astype(float)
    periods["detail"] = ""
    if params.get("min_amount"):
        low = recs[recs["reason_code"].to_numpy() == BELOW_MINIMUM].groupby(["project_code", "pnum"]).size()
        n_low = periods.join(low.rename("low"), on=["project_code", "pnum"])["low"].fillna(0).astype(int)
        periods["detail"] = [f"另有 {n} 次低于每次 {params['min_amount']:g} 元，不计" if n else "" for n in n_low]
    expl = explanations(recs["project_code"].to_numpy(), label_categories(recs["pnum"].to_numpy(), ind.period),
                        recs.get("table", "服务记录"), recs["record_id"].to_numpy(), recs["valid"].to_numpy(),
                        recs["reason_code"].to_numpy(), recs["reason"].to_numpy())
    return RuleOutput(periods, expl)


@register("record_count", {"source": SOURCE, **SERVICE_FILTER, "where": WHERE, "date_column": DATE, "use": USE,
                           "min_amount": MIN_AMOUNT}, label=f"{PERIOD_WHOLE}累计个数", check=check_charity_use("services"))
def record_count(ctx, ind, params, target, jobs) -> RuleOutput:
    """Valid records over the project period up to the evaluation date."""
    recs = records(ctx, ind, params, jobs)
    actual = totals_by_project(jobs, recs.loc[recs["valid"], ["project_code"]].groupby("project_code").size())
    return RuleOutput(actual, _whole_explanations(recs))


@register("per_occasion_min", {"source": SOURCE, "where": WHERE,
                               "min_amount": Param("number", required=True, help="每次不低于的金额（元）")},
          unit="次", label="每次金额下限")
def per_occasion_min(ctx, ind, params, target, jobs) -> RuleOutput:
    """Occasions whose amount reaches the per-occasion minimum; an occasion below it does not count.

    Each occasion below the minimum is an explanation row (``below_minimum``, with
    its amount); every other indicator of the catalogue that counts the same
    occasions must state the same minimum (checked when the catalogue loads).
    """
    params = {"source": "charity_aid", **params}
    recs = records(ctx, ind, params, jobs)
    actual = totals_by_project(jobs, recs.loc[recs["valid"], ["project_code"]].groupby("project_code").size())
    low = recs.groupby("project_code")["valid"].apply(lambda v: int((~v).sum()))
    actual["detail"] = actual["project_code"].map(low).fillna(0).map(
        lambda n: f"另有 {int(n)} 次低于每次 {params['min_amount']:g} 元，不计" if n else "")
    return RuleOutput(actual, _whole_explanations(recs))


@register("amount_sum", {"source": SOURCE, "where": WHERE, "use": USE,
                         "column": Param("str", choices=("amount", "core_members"), help="合计哪一列（默认 amount）")},
          unit="元", label="金额合计", check=check_charity_use("charity_funds"))
def amount_sum(ctx, ind, params, target, jobs) -> RuleOutput:
    """Sum of the amounts over the project period up to the evaluation date.

    Money sums by purpose (docs/counting-rules.md rule 11): with ``use`` only rows of those
    用途 are summed; the others are explanation rows (``other_use``) that count
    for their own purpose's indicators.
    """
    params = {"source": "charity_funds", **params}
    recs = records(ctx, ind, params, jobs)
    valid = recs[recs["valid"].to_numpy(dtype=bool)]
    actual = totals_by_project(jobs, valid.groupby("project_code")["amount"].sum(min_count=1))
    other = recs[recs["reason_code"].to_numpy() == OTHER_USE]
    if len(other):
        left = other.groupby("project_code")["amount"].sum()
        actual["detail"] = actual["project_code"].map(left).fillna(0).map(
            lambda a: f"另有其他用途 {a:g} 元不计入本指标（只计{'、'.join(as_list(params['use']))}）" if a else "")
    return RuleOutput(actual, _whole_explanations(recs))


def _whole_explanations(recs: pd.DataFrame):
    return explanations(recs["project_code"].to_numpy(), PERIOD_WHOLE, recs.get("table", "服务记录"),
                        recs["record_id"].to_numpy(), recs["valid"].to_numpy(), recs["reason_code"].to_numpy(),
                        recs["reason"].to_numpy())


@register("per_person_period", {
    **SERVICE_FILTER,
    "roster_category": Param("list", required=True, choices=ROSTER_CATEGORIES, help="回访台账上的对象类别"),
}, periods=("quarter", "month"), unit="次/人", label="每人每期次数")
def per_person_period(ctx, ind, params, target, jobs) -> RuleOutput:
    """Each person on the follow-up ledger needs ``target`` valid visits in every period.

    A person is tracked in a period when they joined on or before its first day
    and had not left before its last day. The period's actual value is the
    share of tracked people who got enough visits; it is met at 100%.
    """
    ledger = follow_up_ledger(ctx, params, jobs)
    visits = records(ctx, ind, {**params, "category": params.get("category") or ["跟踪回访"]}, jobs)
    people = split_list(ctx.ds.services["beneficiary_codes"].iloc[visits["orig"].to_numpy()].set_axis(visits.index))
    codes = visits.loc[people.index, ["project_code", "month", "valid"]].assign(beneficiary_code=people.to_numpy())
    periods = cached_grid(ctx, jobs, ind.period)
    tracked = ledger.merge(periods[["project_code", "pnum", "period", "period_start", "period_end"]], on="project_code")
    tracked = tracked[(tracked["joined"] <= tracked["period_start"])
                      & ~(tracked["left"] < tracked["period_end"])]
    codes["pnum"] = period_number(codes["month"].to_numpy(), ind.period)
    n = codes[codes["valid"]].groupby(["project_code", "beneficiary_code", "pnum"]).size().rename("visits")
    tracked = tracked.join(n, on=["project_code", "beneficiary_code", "pnum"])
    tracked["visits"] = tracked["visits"].fillna(0).astype(int)
    tracked["ok"] = tracked["visits"] >= target
    agg = tracked.groupby(["project_code", "pnum"]).agg(people=("ok", "size"), met=("ok", "sum"))
    periods = periods.join(agg, on=["project_code", "pnum"])
    periods[["people", "met"]] = periods[["people", "met"]].fillna(0)
    periods["actual"] = np.where(periods["people"] > 0, 100.0 * periods["met"] / periods["people"].clip(lower=1), 0.0)
    periods["target"] = 100.0
    periods["row_unit"] = "%"  # a period's value is the share of tracked people visited enough
    periods["ok"] = (periods["people"] > 0) & (periods["met"] == periods["people"])
    periods["detail"] = [f"台账 {int(p)} 人，{int(m)} 人达到每人 {target:g} 次" if p else "本期台账无应回访对象"
                         for p, m in zip(periods["people"], periods["met"])]
    expl_people = explanations(tracked["project_code"].to_numpy(), tracked["period"].to_numpy(), "服务对象",
                               tracked["beneficiary_code"].to_numpy(), tracked["ok"].to_numpy(),
                               np.where(tracked["ok"], None, "too_few_visits"),
                               [None if ok else f"本期有效回访 {v} 次，需 ≥{target:g} 次"
                                for ok, v in zip(tracked["ok"], tracked["visits"])])
    expl_visits = explanations(visits["project_code"].to_numpy(), label_categories(
        period_number(visits["month"].to_numpy(), ind.period), ind.period), "服务记录",
        visits["record_id"].to_numpy(), visits["valid"].to_numpy(), visits["reason_code"].to_numpy(),
        visits["reason"].to_numpy())
    return RuleOutput(periods, pd.concat([expl_people, expl_visits], ignore_index=True))


def follow_up_ledger(ctx, params, jobs) -> pd.DataFrame:
    """People on the follow-up ledger (跟踪回访 = 是) of the jobs' projects, in the given categories."""
    b = ctx.owned("beneficiaries")
    b = b[b["project_code"].isin(jobs["code"]) & b["follow_up"].fillna(False).astype(bool)
          & b["category"].isin(as_list(params["roster_category"]))]
    return pd.DataFrame({"project_code": b["project_code"].to_numpy(), "beneficiary_code": b["code"].to_numpy(),
                         "joined": b["joined"].to_numpy(), "left": b["left"].to_numpy()})


@register("follow_up_ledger", {"roster_category": Param("list", required=True, choices=ROSTER_CATEGORIES,
                                                        help="对象类别")},
          progress="state", unit="份", label="回访台账")
def follow_up_ledger_rule(ctx, ind, params, target, jobs) -> RuleOutput:
    """The follow-up ledger exists: at least one person of the categories is marked 跟踪回访."""
    ledger = follow_up_ledger(ctx, params, jobs)
    ledger = ledger.merge(jobs[["code", "window_end"]].rename(columns={"code": "project_code"}), on="project_code")
    ledger = ledger[ledger["joined"] <= ledger["window_end"]]
    people = ledger.groupby("project_code").size()
    out = totals_by_project(jobs, (people > 0).astype(float))
    out["detail"] = out["project_code"].map(people).fillna(0).map(lambda n: f"台账 {int(n)} 人")
    expl = explanations(ledger["project_code"].to_numpy(), PERIOD_WHOLE, "服务对象", ledger["beneficiary_code"].to_numpy(),
                        True)
    return RuleOutput(out, expl)
