"""Casework and groupwork: qualified cases, qualified groups, success cases (via ``sgzlib.lifecycle``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...lifecycle import CaseRules, GroupRules, case_overview, group_overview
from ..context import fast_photo_check
from ..periods import PERIOD_WHOLE
from ..photos import findings_for, indexed_check
from ..registry import Param, RuleOutput, explanations, register
from .common import DOMAINS, ROSTER_CATEGORIES, as_list, totals_by_project

DOMAIN = Param("list", choices=DOMAINS, help="个案/小组的领域（不填为全部领域）")
POPULATION = Param("list", choices=ROSTER_CATEGORIES,
                   help="只计服务对象属于这些对象类别的个案（分项任务的服务对象）；领域只写一个时，该领域中"
                        "类别不符的个案列为不计并说明原因")
OTHER_POPULATION = "other_population"


def _owned_cases(ctx, jobs) -> pd.DataFrame:
    cases = ctx.owned("cases", "opened")
    return cases[cases["project_code"].isin(jobs["code"])]


def _owned_groups(ctx, jobs) -> pd.DataFrame:
    key = ("groups", jobs["catalogue"].iloc[0])
    if key not in ctx.cache:
        g, s = ctx.ds.groups, ctx.ds.group_sessions
        # reindex, not map: map with an empty mapper (no group sessions at all) fails on datetimes
        first = pd.Series(s.groupby("group_code")["date"].min().reindex(g["code"]).to_numpy(), index=g.index)
        when = first.fillna(g["plan_date"])
        owner = ctx.assign(g, g["station_code"], when)
        rows = g.iloc[owner["pos"].to_numpy()].reset_index(drop=True)
        rows.insert(0, "project_code", owner["project_code"].to_numpy())
        ctx.cache[key] = rows[rows["project_code"].isin(jobs["code"])]
    return ctx.cache[key]


def _frames(**frames) -> Dataset:
    """A Dataset view over frames that already have the declared dtypes (no copy, no coercion)."""
    view = Dataset.__new__(Dataset)
    view.frames = frames
    return view


def _checked_sessions(ctx, table: str, ids: list[str], owners: pd.Series, cat) -> pd.DataFrame:
    """Sessions of the given cases/groups, with photos blanked where the evidence rule refuses them."""
    sessions = ctx.ds[table]
    sessions = sessions[sessions[ids[0]].isin(owners)]
    valid = fast_photo_check(sessions, ids)
    found = findings_for(ctx, cat)
    if found is not None:
        valid = indexed_check(found, table, sessions, valid, cat.photo_actions)
    valid = valid["valid"]
    return sessions.assign(photos=sessions["photos"].where(valid.to_numpy(dtype=bool)))


def _catalogue_jobs(ctx, jobs) -> pd.DataFrame:
    return ctx.projects[ctx.projects["catalogue"] == jobs["catalogue"].iloc[0]]


def _cached_view(ctx, kind: str, jobs, rules):
    """A cached overview of every project of the jobs' catalogue, or ``None``; ``rules=None`` takes any."""
    cat = jobs["catalogue"].iloc[0]
    for (k, c, r), view in ctx.cache.setdefault("views", {}).items():
        if k == kind and c == cat and (rules is None or r == rules):
            return view[view["project_code"].isin(jobs["code"])]
    return None


def case_table(ctx, jobs, rules: CaseRules | None) -> pd.DataFrame:
    """``case_overview`` of the catalogue's cases (opened in the project period), for the jobs' projects."""
    found = _cached_view(ctx, "cases", jobs, rules)
    if found is not None:
        return found
    rules = rules or CaseRules(min_sessions=0, require_records=False)
    key, views = ("cases", jobs["catalogue"].iloc[0], rules), ctx.cache["views"]
    if key not in views:
        cases = _owned_cases(ctx, _catalogue_jobs(ctx, jobs))
        ds = _frames(cases=cases.drop(columns="project_code"),
                     case_sessions=_checked_sessions(ctx, "case_sessions", ["case_code", "seq"], cases["code"],
                                                                     ctx.catalogues[jobs["catalogue"].iloc[0]]),
                     case_records=ctx.ds.case_records[ctx.ds.case_records["case_code"].isin(cases["code"])])
        view = case_overview(ds, ctx.as_of, rules)
        views[key] = view.merge(cases[["code", "project_code"]], on="code")
    view = views[key]
    return view[view["project_code"].isin(jobs["code"])]


def group_table(ctx, jobs, rules: GroupRules | None) -> pd.DataFrame:
    """``group_overview`` of the catalogue's groups (started in the project period), with attendance per session."""
    found = _cached_view(ctx, "group_view", jobs, rules)
    if found is not None:
        return found
    rules = rules or GroupRules(min_sessions=0)
    key, views = ("group_view", jobs["catalogue"].iloc[0], rules), ctx.cache["views"]
    if key not in views:
        groups = _owned_groups(ctx, _catalogue_jobs(ctx, jobs))
        sessions = _checked_sessions(ctx, "group_sessions", ["group_code", "seq"], groups["code"],
                                     ctx.catalogues[jobs["catalogue"].iloc[0]])
        ds = _frames(groups=groups.drop(columns="project_code"), group_sessions=sessions)
        view = group_overview(ds, ctx.as_of, rules)
        view["attendance"] = view["code"].map(_attendance(ctx)).fillna("")
        views[key] = view.merge(groups[["code", "project_code"]], on="code")
    view = views[key]
    return view[view["project_code"].isin(jobs["code"])]


def _attendance(ctx) -> pd.Series:
    """Group code → the people signed in at each session up to the evaluation date, "12、4、3" (cached)."""
    if "attendance" not in ctx.cache:
        s = ctx.ds.group_sessions
        done = s[s["date"] <= ctx.as_of].sort_values(["group_code", "seq"])
        counts = done["attendance"].fillna(0).astype("int64").astype(str)
        ctx.cache["attendance"] = counts.groupby(done["group_code"].to_numpy(), sort=False).agg("、".join)
    return ctx.cache["attendance"]


@register("qualified_cases", {
    "domain": DOMAIN,
    "population": POPULATION,
    "min_sessions": Param("int", required=True, help="每个个案至少几节"),
    "require_records": Param("bool", help="须有从接案到结案的完整文书（七种）"),
}, unit="个", label="合格个案数")
def qualified_cases(ctx, ind, params, target, jobs) -> RuleOutput:
    """Cases with at least ``min_sessions`` counted sessions (and the full record set where asked)."""
    cat = ctx.catalogues[jobs["catalogue"].iloc[0]]
    rules = CaseRules(min_sessions=params["min_sessions"], require_records=params.get("require_records", False),
                      require_photo=cat.photo_required)
    view = case_table(ctx, jobs, rules)
    if params.get("domain"):
        view = view[view["domain"].isin(as_list(params["domain"]))]
    others = view.iloc[0:0]
    if params.get("population"):
        view, others = _split_population(ctx, view, as_list(params["population"]))
        if len(as_list(params.get("domain"))) != 1:  # no domain of its own: the others belong to their own tasks
            others = others.iloc[0:0]
    reason = np.where(view["qualifies"], [f"{n} 节有效服务" for n in view["counted_sessions"]], view["why_not"])
    out = _qualified_output(jobs, view, rules, "个案", reason)
    if len(others):
        out.explanations = pd.concat([out.explanations, explanations(
            others["project_code"].to_numpy(), PERIOD_WHOLE, "个案", others["code"].to_numpy(), False,
            OTHER_POPULATION, others["population_reason"].to_numpy())], ignore_index=True)
    return out


def _split_population(ctx, view: pd.DataFrame, wanted: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases whose service object is in the wanted 对象类别, and the others with the reason they do not count."""
    category = view["beneficiary_code"].map(ctx.ds.beneficiaries.set_index("code")["category"]).astype(object)
    inside = category.isin(wanted).to_numpy(dtype=bool)
    others = view[~inside].assign(population_reason=[
        f"服务对象 {b} 的对象类别为「{c}」，不是本任务的服务对象（{'、'.join(wanted)}），不计入本任务"
        if isinstance(c, str) else f"服务对象 {b} 不在服务对象表中，无法判断是否属于本任务的服务对象"
        for b, c in zip(view["beneficiary_code"][~inside], category[~inside])])
    return view[inside], others


@register("qualified_groups", {
    "domain": DOMAIN,
    "min_sessions": Param("int", required=True, help="每个小组至少几节"),
    "min_attendance": Param("int", help="每节至少几人签到（不足的节次不计）"),
    "require_records": Param("bool", help="须有计划书、单元计划书、过程记录表、评估总结报告"),
    "require_sign_in": Param("bool", help="每节须有签到表"),
}, unit="个", label="合格小组数")
def qualified_groups(ctx, ind, params, target, jobs) -> RuleOutput:
    """Groups with at least ``min_sessions`` sessions that each had ``min_attendance`` people signed in."""
    cat = ctx.catalogues[jobs["catalogue"].iloc[0]]
    rules = GroupRules(min_sessions=params["min_sessions"], min_attendance=params.get("min_attendance", 0),
                       require_records=params.get("require_records", False),
                       require_sign_in=params.get("require_sign_in", False), require_photo=cat.photo_required)
    view = group_table(ctx, jobs, rules)
    if params.get("domain"):
        view = view[view["domain"].isin(as_list(params["domain"]))]
    base = np.where(view["qualifies"], [f"有效节次 {n} 节" for n in view["counted_sessions"]], view["why_not"])
    reason = [f"{b}；各节签到人数：{a}" if a else f"{b}；尚无活动节次" for b, a in zip(base, view["attendance"])]
    return _qualified_output(jobs, view, rules, "小组", reason)


def _qualified_output(jobs, view: pd.DataFrame, rules, kind: str, reason) -> RuleOutput:
    """Qualified cases or groups per project, and one explanation per case or group (why it did not count)."""
    out = totals_by_project(jobs, view[view["qualifies"]].groupby("project_code").size())
    short = view["counted_sessions"] < rules.min_sessions
    code = np.where(view["qualifies"], None, np.where(short, "too_few_sessions", "records_missing"))
    expl = explanations(view["project_code"].to_numpy(), PERIOD_WHOLE, kind, view["code"].to_numpy(),
                        view["qualifies"].to_numpy(), code, reason)
    return RuleOutput(out, expl)


@register("exemplary", {"domain": DOMAIN}, unit="个", label="成功案例数")
def exemplary(ctx, ind, params, target, jobs) -> RuleOutput:
    """Cases (closed) and groups (ended, with the evaluation report) marked 成功案例 in the ledger."""
    cases = case_table(ctx, jobs, None)
    groups = group_table(ctx, jobs, None)
    if params.get("domain"):
        cases = cases[cases["domain"].isin(as_list(params["domain"]))]
        groups = groups[groups["domain"].isin(as_list(params["domain"]))]
    cases = cases[cases["exemplary"].fillna(False).astype(bool)]
    groups = groups[groups["exemplary"].fillna(False).astype(bool)]
    case_ok = cases["stage"].isin(["结案", "转介结案"]).to_numpy(dtype=bool)
    group_ok = (groups["stage"] == "已结束").to_numpy(dtype=bool)
    n = pd.concat([cases[case_ok]["project_code"], groups[group_ok]["project_code"]]).value_counts()
    out = totals_by_project(jobs, n)
    expl = pd.concat([
        explanations(cases["project_code"].to_numpy(), PERIOD_WHOLE, "个案", cases["code"].to_numpy(), case_ok,
                     np.where(case_ok, None, "not_finished"), np.where(case_ok, None, "标为成功案例但尚未结案")),
        explanations(groups["project_code"].to_numpy(), PERIOD_WHOLE, "小组", groups["code"].to_numpy(), group_ok,
                     np.where(group_ok, None, "not_finished"), np.where(group_ok, None, "标为成功案例但小组尚未结束"))],
        ignore_index=True)
    return RuleOutput(out, expl)
