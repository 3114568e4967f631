"""Casework and groupwork: qualified cases, qualified groups, success cases.

The stages and records of each case and group come from ``sgzlib.domain.lifecycle``; whether one counts, and why
not, is decided here and nowhere else. Besides the explanations, the two qualification rules return one
structured verdict per case or group (``RuleOutput.verdicts``) that reports and dashboards read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain.dataset import Dataset
from ...domain.lifecycle import case_overview, group_overview
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


def _lifecycle_view(ctx, kind: str, jobs) -> pd.DataFrame:
    """The lifecycle overview of every case or group of the jobs' catalogue (cached), for the jobs' projects.

    Its sessions up to the evaluation date are kept beside it (``_sessions``), with the photo blanked where
    the evidence rule refuses it (missing or reused).
    """
    key, views = (kind, jobs["catalogue"].iloc[0]), ctx.cache.setdefault("views", {})
    if key not in views:
        cat = ctx.catalogues[jobs["catalogue"].iloc[0]]
        if kind == "cases":
            owned = _owned_cases(ctx, _catalogue_jobs(ctx, jobs))
            sessions = _checked_sessions(ctx, "case_sessions", ["case_code", "seq"], owned["code"], cat)
            ds = _frames(cases=owned.drop(columns="project_code"), case_sessions=sessions,
                         case_records=ctx.ds.case_records[ctx.ds.case_records["case_code"].isin(owned["code"])])
            view = case_overview(ds, ctx.as_of)
        else:
            owned = _owned_groups(ctx, _catalogue_jobs(ctx, jobs))
            sessions = _checked_sessions(ctx, "group_sessions", ["group_code", "seq"], owned["code"], cat)
            view = group_overview(_frames(groups=owned.drop(columns="project_code"), group_sessions=sessions),
                                  ctx.as_of)
            view["attendance"] = view["code"].map(_attendance(ctx)).fillna("")
        views[key] = (view.merge(owned[["code", "project_code"]], on="code"),
                      sessions[sessions["date"] <= ctx.as_of])
    view, _ = views[key]
    return view[view["project_code"].isin(jobs["code"])]


def case_table(ctx, jobs) -> pd.DataFrame:
    """``case_overview`` of the catalogue's cases (opened in the project period), for the jobs' projects."""
    return _lifecycle_view(ctx, "cases", jobs)


def group_table(ctx, jobs) -> pd.DataFrame:
    """``group_overview`` of the catalogue's groups (started in the project period), with attendance per session."""
    return _lifecycle_view(ctx, "groups", jobs)


def _sessions(ctx, kind: str, jobs) -> pd.DataFrame:
    """The sessions behind ``_lifecycle_view`` up to the evaluation date (photos blanked where refused)."""
    _lifecycle_view(ctx, kind, jobs)
    return ctx.cache["views"][(kind, jobs["catalogue"].iloc[0])][1]


def _attendance(ctx) -> pd.Series:
    """Group code → the people signed in at each session up to the evaluation date, "12、4、3" (cached)."""
    if "attendance" not in ctx.cache:
        s = ctx.ds.group_sessions
        done = s[s["date"] <= ctx.as_of].sort_values(["group_code", "seq"])
        counts = done["attendance"].fillna(0).astype("int64").astype(str).to_numpy(dtype=object)
        keys = done["group_code"].to_numpy(dtype=object)
        keep = pd.notna(keys)
        keys, counts = keys[keep], counts[keep]
        # sorted by group: each group's sessions are one run of rows (a groupby with "、".join, without
        # calling Python once per group through pandas)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.array([], dtype=int)
        ends = np.r_[starts[1:], len(keys)]
        ctx.cache["attendance"] = pd.Series(["、".join(counts[i:j]) for i, j in zip(starts, ends)],
                                            index=pd.Index(keys[starts], dtype=str), dtype=str, name="attendance")
    return ctx.cache["attendance"]


def _by_domain(view: pd.DataFrame, params) -> pd.DataFrame:
    return view[view["domain"].isin(as_list(params["domain"]))] if params.get("domain") else view


@register("qualified_cases", {
    "domain": DOMAIN,
    "population": POPULATION,
    "min_sessions": Param("int", required=True, help="每个个案至少几节"),
    "require_records": Param("bool", help="须有从接案到结案的完整文书（七种）"),
}, unit="个", label="合格个案数")
def qualified_cases(ctx, ind, params, target, jobs) -> RuleOutput:
    """Cases with at least ``min_sessions`` counted sessions (and the full record set where asked).

    A session counts when it has a valid watermark photo, if the catalogue asks for photos.
    """
    photo = ctx.catalogues[jobs["catalogue"].iloc[0]].photo_required
    view = _by_domain(case_table(ctx, jobs), params)
    others = view.iloc[0:0]
    if params.get("population"):
        view, others = _split_population(ctx, view, as_list(params["population"]))
        if len(as_list(params.get("domain"))) != 1:  # no domain of its own: the others belong to their own tasks
            others = others.iloc[0:0]
    counted = view["code"].map(_photo_sessions(ctx, jobs)).fillna(0).astype(int) if photo else view["sessions"]
    minimum = params["min_sessions"]
    short = counted < minimum
    uncounted = view["sessions"] - counted
    extra = ("（另有 " + uncounted.astype(str) + " 节无水印照片不计）").where(uncounted > 0, "")
    count_reason = ("仅 " + counted.astype(str) + f" 节服务，需 ≥{minimum} 节" + extra).where(short, "")
    missing = view["absent_records"] if params.get("require_records") else view["absent_records"].map(lambda _: ())
    why = _join(count_reason, missing.map(_records_reason))
    ok = why == ""
    reason = np.where(ok, [f"{n} 节有效服务" for n in counted], why)
    out = _qualified_output(jobs, view, "个案", ok, short, reason, counted, minimum, missing, None)
    if len(others):
        out.explanations = pd.concat([out.explanations, explanations(
            others["project_code"].to_numpy(), PERIOD_WHOLE, "个案", others["code"].to_numpy(), False,
            OTHER_POPULATION, others["population_reason"].to_numpy())], ignore_index=True)
    return out


def _split_population(ctx, view: pd.DataFrame, wanted: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases whose service object is in the wanted 对象类别, and the others with the reason they do not count."""
    category = view["beneficiary_code"].map(_category_of(ctx)).astype(object)
    inside = category.isin(wanted).to_numpy(dtype=bool)
    others = view[~inside].assign(population_reason=[
        f"服务对象 {b} 的对象类别为「{c}」，不是本任务的服务对象（{'、'.join(wanted)}），不计入本任务"
        if isinstance(c, str) else f"服务对象 {b} 不在服务对象表中，无法判断是否属于本任务的服务对象"
        for b, c in zip(view["beneficiary_code"][~inside], category[~inside])])
    return view[inside], others


def _category_of(ctx) -> pd.Series:
    """Beneficiary code → 对象类别 (cached: every population task maps its cases through it)."""
    if "category_of" not in ctx.cache:
        ctx.cache["category_of"] = ctx.ds.beneficiaries.set_index("code")["category"]
    return ctx.cache["category_of"]


@register("qualified_groups", {
    "domain": DOMAIN,
    "min_sessions": Param("int", required=True, help="每个小组至少几节"),
    "min_attendance": Param("int", help="每节至少几人签到（不足的节次不计）"),
    "require_records": Param("bool", help="须有计划书、单元计划书、过程记录表、评估总结报告"),
    "require_sign_in": Param("bool", help="每节须有签到表"),
}, unit="个", label="合格小组数")
def qualified_groups(ctx, ind, params, target, jobs) -> RuleOutput:
    """Groups with at least ``min_sessions`` sessions that each had ``min_attendance`` people signed in.

    A session does not count when fewer people signed in, when the catalogue asks for a sign-in sheet and
    it has none, or when the catalogue asks for photos and its photo is missing or refused.
    """
    photo = ctx.catalogues[jobs["catalogue"].iloc[0]].photo_required
    view = _by_domain(group_table(ctx, jobs), params)
    failed, texts = _short_sessions(ctx, jobs, params.get("min_attendance", 0), params.get("require_sign_in", False),
                                    photo)
    counted = view["sessions"] - view["code"].map(failed).fillna(0).astype(int)
    # plain lists, not Series.map: with Arrow-backed strings a mapped tuple can come back as an array
    short_text = pd.Series([tuple(t) if isinstance(t, (tuple, list, np.ndarray)) else () for t in view["code"].map(texts)],
                           index=view.index, dtype=object)
    minimum = params["min_sessions"]
    short = counted < minimum
    listed = pd.Series([f"：{'、'.join(t)}不计" if t else "" for t in short_text], index=view.index, dtype=object)
    count_reason = ("有效节次 " + counted.astype(str) + f" 节，需 ≥{minimum} 节" + listed).where(short, "")
    missing = view["absent_records"] if params.get("require_records") else view["absent_records"].map(lambda _: ())
    why = _join(count_reason, missing.map(_records_reason))
    ok = why == ""
    base = np.where(ok, [f"有效节次 {n} 节" for n in counted], why)
    reason = [f"{b}；各节签到人数：{a}" if a else f"{b}；尚无活动节次" for b, a in zip(base, view["attendance"])]
    return _qualified_output(jobs, view, "小组", ok, short, reason, counted, minimum, missing, short_text)


def _photo_sessions(ctx, jobs) -> pd.Series:
    """Case code → sessions up to the evaluation date with a valid watermark photo (cached per catalogue)."""
    key = ("photo_sessions", jobs["catalogue"].iloc[0])
    if key not in ctx.cache:
        sessions = _sessions(ctx, "cases", jobs)
        ctx.cache[key] = sessions[sessions["photos"].notna()].groupby("case_code").size()
    return ctx.cache[key]


def _short_sessions(ctx, jobs, min_attendance: int, sign_in: bool, photo: bool) -> tuple[pd.Series, pd.Series]:
    """Per group code, how many sessions do not count and their texts ("第2节（签到 4 人<6）", …); cached."""
    key = ("short_sessions", jobs["catalogue"].iloc[0], min_attendance, sign_in, photo)
    if key not in ctx.cache:
        failed = _failed_sessions(_sessions(ctx, "groups", jobs), min_attendance, sign_in, photo)
        keys = failed["group_code"].to_numpy(dtype=object)
        texts = failed["text"].to_numpy(dtype=object)
        keep = pd.notna(keys)
        keys, texts = keys[keep], texts[keep]
        # sorted by group: each group's failed sessions are one run of rows (a groupby with a tuple of
        # texts, without calling Python once per group through pandas)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.array([], dtype=int)
        ends = np.r_[starts[1:], len(keys)]
        index = pd.Index(keys[starts], dtype=object)
        ctx.cache[key] = (pd.Series(ends - starts, index=index, dtype="int64"),
                          pd.Series([tuple(texts[i:j]) for i, j in zip(starts, ends)], index=index, dtype=object))
    return ctx.cache[key]


def _failed_sessions(sessions: pd.DataFrame, min_attendance: int, sign_in: bool, photo: bool) -> pd.DataFrame:
    """Sessions that do not count, each with its text "第2节（签到 4 人<6）"."""
    parts = [("签到 " + sessions["attendance"].astype(str) + f" 人<{min_attendance}")
             .where(sessions["attendance"].fillna(0) < min_attendance, "")]
    if sign_in:
        parts.append(pd.Series("无签到表", index=sessions.index).where(sessions["sign_in"].ne(True), ""))
    if photo:
        parts.append(pd.Series("无水印照片", index=sessions.index).where(sessions["photos"].isna(), ""))
    why = pd.Series(["，".join(r for r in row if r) for row in zip(*(p.to_numpy(dtype=object) for p in parts))],
                    index=sessions.index, dtype="object")
    failed = sessions[why != ""].assign(reason=why[why != ""]).sort_values(["group_code", "seq"])
    return failed.assign(text="第" + failed["seq"].astype(int).astype(str) + "节（" + failed["reason"] + "）")


def _records_reason(missing: tuple) -> str:
    return "文书不全：缺" + "、".join(missing) if missing else ""


def _join(*parts: pd.Series) -> pd.Series:
    """Row-wise join of the non-empty reason texts with ；."""
    rows = zip(*(p.to_numpy(dtype=object) for p in parts))
    return pd.Series(["；".join(r for r in row if r) for row in rows], index=parts[0].index, dtype="object")


def _qualified_output(jobs, view: pd.DataFrame, kind: str, ok, short, reason, counted, minimum, missing,
                      short_text) -> RuleOutput:
    """Qualified cases or groups per project, one explanation per case or group, and the structured verdicts."""
    ok = np.asarray(ok, dtype=bool)
    out = totals_by_project(jobs, view[ok].groupby("project_code").size())
    code = np.where(ok, None, np.where(short, "too_few_sessions", "records_missing"))
    expl = explanations(view["project_code"].to_numpy(), PERIOD_WHOLE, kind, view["code"].to_numpy(), ok, code, reason)
    verdicts = pd.DataFrame({
        "project_code": view["project_code"].to_numpy(), "kind": kind, "code": view["code"].to_numpy(),
        "counted": ok, "reason_code": code, "reason": np.asarray(reason, dtype=object),
        "counted_sessions": np.asarray(counted, dtype=int), "min_sessions": int(minimum),
        "needed": np.clip(int(minimum) - np.asarray(counted, dtype=int), 0, None),
        "missing_records": missing.to_numpy(dtype=object),
        "short_sessions": (short_text if short_text is not None else pd.Series([()] * len(view), dtype=object))
        .to_numpy(dtype=object)})
    return RuleOutput(out, expl, verdicts)


@register("exemplary", {"domain": DOMAIN}, unit="个", label="成功案例数")
def exemplary(ctx, ind, params, target, jobs) -> RuleOutput:
    """Cases (closed) and groups (ended, with the evaluation report) marked 成功案例 in the ledger."""
    cases = case_table(ctx, jobs)
    groups = group_table(ctx, jobs)
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
