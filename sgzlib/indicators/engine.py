"""``evaluate``: every project's indicators on a date, with statuses and explanations.

The engine loops over catalogues and their indicators (a few hundred at
most); each rule evaluates every project of its catalogue at once with
DataFrame operations, so a province costs the same number of rule calls as a
station. Expected values, statuses and notes are derived here, the same way
for every rule kind (``docs/counting-rules.md``, rule 8). The engine gives no
points: a score exists only under an evaluator's scheme (``sgzlib.indicators.scoring``,
rule 12).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..domain import figures
from ..domain.labels import BEHIND, MET, MISSED, NOT_STARTED, ON_TRACK, PERIOD_EVERY, PERIOD_UNIT, TO_VERIFY
from .context import Context
from .frames import text_column
from .periods import PERIOD_WHOLE
from .registry import EXPLAIN_COLUMNS, RULES, STATE, VERDICT_COLUMNS
from .rollup import rollup
from .spending import SpendingResult, evaluate_spending
from .verdicts import combine

RESULT_COLUMNS = ["station_code", "station_name", "project_code", "catalogue", "tier", "indicator_id",
                  "indicator_name", "domain", "mandatory", "rule", "period", "period_kind", "period_end", "actual",
                  "target", "expected", "unit", "status", "note"]
EPS = 1e-9


def evaluate(ds, as_of, projects=None, catalogues=()) -> Evaluation:
    """Evaluate every project (or the given project codes) of ``ds`` on ``as_of``.

    ``catalogues``: extra ``Catalogue`` objects (e.g. from ``parse_catalogue``)
    that projects may name besides the shipped ones.
    """
    ctx = Context(ds, as_of, projects, catalogues)
    meta, whole, periods, period_jobs, expl, verdicts = [], [], [], [], [], []
    for cat_id, cat_jobs in ctx.projects.groupby("catalogue", sort=False):
        cat = ctx.catalogues[cat_id]
        for order, ind in enumerate(cat.indicators):
            jobs = cat_jobs
            if ind.tasks:
                jobs = cat_jobs[cat_jobs["tasks"].map(lambda chosen, t=set(ind.tasks): bool(t & set(chosen)))]
            for tier, tier_jobs in jobs.groupby(jobs["tier"].fillna(""), sort=False):
                target = ind.target(tier or None)
                if target is None or tier_jobs.empty:
                    continue
                rule = RULES[ind.rule]
                out = rule.func(ctx, ind, ind.params_for(tier or None), float(target), tier_jobs)
                k = len(meta)
                meta.append({"_k": k, "_order": order, "indicator_id": ind.id, "indicator_name": ind.name,
                             "domain": ind.domain, "mandatory": ind.mandatory, "rule": rule.name,
                             "unit": ind.unit, "progress": rule.progress, "period_kind": ind.period,
                             "ind_target": float(target)})
                (whole if ind.period == "whole" else periods).append(out.results.assign(_k=k))
                if ind.period != "whole":
                    period_jobs.append(pd.DataFrame({"_k": k, "project_code": tier_jobs["code"].to_numpy()}))
                expl.append((ind.id, out.explanations))
                if out.verdicts is not None:
                    verdicts.append(out.verdicts.assign(indicator_id=ind.id))
    meta = pd.DataFrame(meta)
    parts = []
    if whole:
        parts.append(_finish_whole(ctx, _with_meta(pd.concat(whole, ignore_index=True), meta)))
    if periods:
        rows = _period_rows(ctx, _with_meta(pd.concat(periods, ignore_index=True), meta))
        jobs = _with_meta(pd.concat(period_jobs, ignore_index=True), meta)
        parts += [_period_summary(ctx, rows, jobs), rows]
    results = _assemble(parts, ctx.projects)
    explanations = functools.partial(_tidy_explanations, expl)  # put together when first read (``Evaluation``)
    work = pd.concat(verdicts, ignore_index=True)[list(VERDICT_COLUMNS)] if verdicts else _empty_verdicts()
    return Evaluation(results, explanations, ctx.as_of, work, evaluate_spending(ctx))


def evaluate_stations(ds, stations: str | list[str], as_of) -> Evaluation | None:
    """The ``Evaluation`` of the projects of ``stations`` (and the stations below them) on ``as_of``; ``None``
    when they have none."""
    codes = ds.descendants(stations)
    projects = ds.projects.loc[ds.projects["station_code"].isin(codes), "code"].tolist()
    return evaluate(ds, as_of, projects=projects) if projects else None


def _empty_verdicts() -> pd.DataFrame:
    return pd.DataFrame(columns=list(VERDICT_COLUMNS))


def _tidy_explanations(parts: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Every indicator's explanation rows in one frame: ids, periods and tables as ``str``, the rest objects."""
    if not parts:
        return _empty_expl()
    if not sum(len(p) for _, p in parts):
        e = pd.concat([p.assign(indicator_id=i) for i, p in parts], ignore_index=True)
    else:
        frames = [p for _, p in parts]
        labels = ["period", "record_table"]
        e = pd.concat([f.drop(columns=labels) for f in frames], ignore_index=True)
        for col in ("project_code", "record_id"):
            e[col] = e[col].astype(object)
        lengths = np.array([len(p) for _, p in parts])
        ids = pd.array(np.array([i for i, _ in parts], dtype=object), dtype="str")
        e["indicator_id"] = ids.take(np.repeat(np.arange(len(parts)), lengths))
        for col in labels:
            e[col] = text_column(frames, col)
    e = e[["project_code", "indicator_id", *EXPLAIN_COLUMNS[1:]]]
    for col in ("reason_code", "reason"):
        values = e[col].astype(object)
        e[col] = values.where(values.notna(), None)
    e["counted"] = e["counted"].astype(bool)
    return e


def _with_meta(rows: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    m = meta.set_index("_k").loc[rows["_k"].to_numpy()].reset_index(drop=True)
    return pd.concat([rows.reset_index(drop=True), m], axis=1)


def _empty_expl() -> pd.DataFrame:
    return pd.DataFrame(columns=["project_code", "indicator_id", *EXPLAIN_COLUMNS[1:]])


def _assemble(parts: list[pd.DataFrame], projects: pd.DataFrame) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    res = pd.concat(parts, ignore_index=True)
    p = projects.set_index("code")
    res["station_code"] = res["project_code"].map(p["station_code"])
    res["station_name"] = res["project_code"].map(p["station_name"])
    res["catalogue"] = res["project_code"].map(p["catalogue"])
    res["tier"] = res["project_code"].map(p["tier"])
    res["_sub"] = res["period"] != PERIOD_WHOLE
    res = res.sort_values(["station_code", "project_code", "_order", "_sub", "period_end"], kind="stable")
    res = res[RESULT_COLUMNS].reset_index(drop=True)
    res["mandatory"] = res["mandatory"].astype(bool)
    for col in ("actual", "target", "expected"):
        res[col] = res[col].astype(float)
    for col in ("station_code", "station_name", "project_code", "catalogue", "tier", "indicator_id", "indicator_name",
                "domain", "rule", "period", "period_kind", "unit", "status", "note"):
        values = res[col].astype(object)
        res[col] = values.where(values.notna(), None)
    res["period_end"] = res["period_end"].astype("datetime64[s]")
    return res


@functools.lru_cache(maxsize=4096)
def _num(x: float, unit: str | None = None, how: str = "nearest") -> str:
    """A figure of a note, rounded and written as every output writes it (``domain.figures``)."""
    return figures.text(x, unit, how)


def _flag(rows: pd.DataFrame, column: str, default) -> np.ndarray:
    """A boolean column a rule may have set (``ok``, ``empty``), ``default`` where it did not."""
    if column not in rows:
        return np.asarray(default, dtype=bool)
    values = rows[column]
    return np.where(values.isna(), default, values.fillna(False).astype(bool)).astype(bool)


def _project(ctx, rows: pd.DataFrame, column: str) -> np.ndarray:
    return rows["project_code"].map(ctx.projects.set_index("code")[column]).to_numpy(dtype="datetime64[s]")


def _finish_whole(ctx, rows: pd.DataFrame) -> pd.DataFrame:
    """Expected value, status and note of whole-period rows, all indicators at once."""
    start, end = _project(ctx, rows, "start"), _project(ctx, rows, "end")
    as_of = np.datetime64(ctx.as_of, "s")
    share = np.clip(((as_of - start).astype("timedelta64[D]").astype(float) + 1)
                    / ((end - start).astype("timedelta64[D]").astype(float) + 1), 0, 1)
    target = rows["ind_target"].to_numpy(dtype=float)
    actual = rows["actual"].to_numpy(dtype=float)
    state = (rows["progress"] == STATE).to_numpy()
    # 截至评估日应达, rounded up to the unit's precision (``domain.figures``): the status compares with it
    expected = figures.up(np.where(state, target, target * share), rows["unit"].to_numpy(dtype=object))
    met = _flag(rows, "ok", actual >= target - EPS)
    empty = _flag(rows, "empty", np.zeros(len(rows), dtype=bool))
    ended, started = end <= as_of, start <= as_of
    status = np.select(
        [met, ended, ~started | empty, (actual <= EPS) & (expected <= EPS), (actual >= expected - EPS) & ~state],
        [MET, MISSED, NOT_STARTED, NOT_STARTED, ON_TRACK], BEHIND).astype(object)
    # a checklist indicator not met while some item is neither ticked nor judged by the evaluator
    status[(rows["rule"] == "checklist").to_numpy() & ~met & _flag(rows, "pending", True)] = TO_VERIFY
    out = rows.assign(period=PERIOD_WHOLE, period_kind="whole", target=target, expected=expected, status=status,
                      period_end=pd.to_datetime(end))
    out["note"] = [_whole_note(s, a, t, e, u, d, st)
                   for s, a, t, e, u, d, st in zip(status, actual, target, expected, rows["unit"].to_numpy(dtype=object),
                                                  rows["detail"].fillna("").to_numpy(dtype=object), state)]
    return out


def _whole_note(status, actual, target, expected, unit, detail, state) -> str:
    text = f"{status}：实际 {_num(actual, unit, 'down')}{unit}，目标 {_num(target, unit)}{unit}"
    if status in (ON_TRACK, BEHIND) and not state:
        text += f"，按进度截至评估日应达 {_num(expected, unit, 'up')}{unit}"
    return f"{text}；{detail}" if detail else text


def _period_rows(ctx, rows: pd.DataFrame) -> pd.DataFrame:
    """Status of every month/quarter row: ended periods met or missed, the current one on track or behind."""
    target = rows["target"].to_numpy(dtype=float) if "target" in rows else rows["ind_target"].to_numpy(dtype=float)
    if "target" in rows:
        target = np.where(np.isnan(target), rows["ind_target"].to_numpy(dtype=float), target)
    if "row_unit" in rows:  # a rule whose period value is not in the indicator's unit (a share of people: %)
        rows = rows.assign(unit=rows["row_unit"].where(rows["row_unit"].notna(), rows["unit"]))
    actual = rows["actual"].to_numpy(dtype=float)
    ended = rows["ended"].to_numpy(dtype=bool)
    met = _flag(rows, "ok", actual >= target - EPS)
    units = rows["unit"].to_numpy(dtype=object)
    expected = figures.up(np.where(ended, target, target * rows["share"].to_numpy(dtype=float)), units)
    status = np.select([met, ended, (actual <= EPS) & (expected <= EPS), actual >= expected - EPS],
                       [MET, MISSED, NOT_STARTED, ON_TRACK], BEHIND)
    out = rows.assign(target=target, expected=expected, status=status, met=met)
    out["note"] = [f"{p}：{_num(a, u, 'down')}{u}，目标 ≥{_num(t, u)}{u}{'' if e else '（本期未结束）'}" + (f"；{d}" if d else "")
                   for p, a, u, t, e, d in zip(rows["period"].to_numpy(dtype=object), actual,
                                               rows["unit"].to_numpy(dtype=object), target, ended,
                                               rows["detail"].fillna("").to_numpy(dtype=object))]
    return out


def _period_summary(ctx, rows: pd.DataFrame, jobs: pd.DataFrame) -> pd.DataFrame:
    """The 全期 row of each per-period indicator and project: periods met out of the project's periods."""
    rows = rows.assign(missed=rows["ended"] & ~rows["met"])
    keys = ["_k", "project_code"]
    agg = rows.groupby(keys, sort=False).agg(
        actual=("met", "sum"), expected=("ended", "sum"), n_missed=("missed", "sum"))
    out = jobs.join(agg, on=keys)
    out[["actual", "expected", "n_missed"]] = out[["actual", "expected", "n_missed"]].fillna(0)
    p = ctx.projects.set_index("code")
    step = np.where(out["period_kind"] == "month", 1, 3)
    first = (p["start"].dt.year * 12 + p["start"].dt.month - 1).reindex(out["project_code"]).to_numpy() // step
    last = (p["end"].dt.year * 12 + p["end"].dt.month - 1).reindex(out["project_code"]).to_numpy() // step
    out["target"] = (last - first + 1).astype(float)
    missed = rows[rows["missed"]]
    text = _joined_per_row(out, missed, keys, [f"{p}（{_num(a, u, 'down')}）" for p, a, u in
                                               zip(missed["period"], missed["actual"], missed["unit"])])
    end = _project(ctx, out, "end")
    start = _project(ctx, out, "start")
    as_of = np.datetime64(ctx.as_of, "s")
    actual, n_total = out["actual"].to_numpy(dtype=float), out["target"].to_numpy(dtype=float)
    n_missed, n_ended = out["n_missed"].to_numpy(dtype=float), out["expected"].to_numpy(dtype=float)
    all_ended = end <= as_of
    status = np.select([all_ended & (actual >= n_total - EPS), all_ended, start > as_of, n_missed > 0],
                       [MET, MISSED, NOT_STARTED, BEHIND], ON_TRACK)
    kinds, ind_unit = out["period_kind"].to_numpy(), out["unit"].to_numpy()
    out = out.assign(period=PERIOD_WHOLE, period_end=pd.to_datetime(end), status=status,
                     unit=[PERIOD_UNIT[k] for k in kinds], actual=actual, target=n_total, expected=n_ended)
    out["note"] = [f"{s}：{PERIOD_EVERY[k]} ≥{_num(t, u)}{u}；已结束 {int(e)}{PERIOD_UNIT[k]}中 {int(e - m)} 个达标"
                   + (f"；未达标：{x}" if m else "")
                   for s, k, t, u, e, m, x in zip(status, kinds, out["ind_target"], ind_unit, n_ended, n_missed, text)]
    out["period_kind"] = "whole"
    return out


def _joined_per_row(out: pd.DataFrame, rows: pd.DataFrame, keys: list[str], texts: list[str]) -> np.ndarray:
    """For each row of ``out`` (unique ``keys``), the ``texts`` of the ``rows`` with its keys joined by 、 in
    their order (``None`` where there are none): a groupby with "、".join, without calling Python per group
    through pandas."""
    where = pd.MultiIndex.from_frame(out[keys]).get_indexer(pd.MultiIndex.from_frame(rows[keys]))
    order = np.argsort(where, kind="stable")
    where, texts = where[order], np.asarray(texts, dtype=object)[order]
    starts = np.flatnonzero(np.r_[True, where[1:] != where[:-1]]) if len(where) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(where)]
    joined = np.full(len(out), None, dtype=object)
    found = where[starts] >= 0
    joined[where[starts][found]] = ["、".join(texts[i:j]) for i, j in zip(starts[found], ends[found])]
    return joined


@dataclass
class Evaluation:
    """The result of ``evaluate``: tidy results, explanations, and the evaluation date.

    ``explanations`` may be given as a function that builds them: the frame
    (1.7 million rows for a province) is then put together the first time it
    is read, and not at all by callers that only need results (``sgz evaluate``
    as csv, json or a table).
    """

    results: pd.DataFrame
    _explanations: pd.DataFrame | Callable[[], pd.DataFrame]
    as_of: pd.Timestamp
    verdicts: pd.DataFrame = field(default_factory=_empty_verdicts)
    # Spending checks (经费支出, seed 000): checklist lines and flagged expenses, per project.
    spending: SpendingResult = field(default_factory=SpendingResult)

    @property
    def explanations(self) -> pd.DataFrame:
        """Every counted and uncounted record of every indicator (``EXPLAIN_COLUMNS``)."""
        if callable(self._explanations):
            self._explanations = self._explanations()
        return self._explanations

    @property
    def summary(self) -> pd.DataFrame:
        """One row per project and indicator: the 全期 rows carrying the overall status."""
        return self.results[self.results["period"] == PERIOD_WHOLE].reset_index(drop=True)

    def for_station(self, code: str) -> Evaluation:
        """Only the projects of this township station."""
        keep = self.results["station_code"] == code
        projects = set(self.results.loc[keep, "project_code"])
        return self._only(self.results[keep], projects)

    def for_project(self, code: str) -> Evaluation:
        return self._only(self.results[self.results["project_code"] == code], {code})

    def _only(self, results: pd.DataFrame, projects: set[str]) -> Evaluation:
        e, v = self.explanations, self.verdicts
        return Evaluation(results.reset_index(drop=True), e[e["project_code"].isin(projects)].reset_index(drop=True),
                          self.as_of, v[v["project_code"].isin(projects)].reset_index(drop=True),
                          self.spending.only(projects))

    def work_verdicts(self, kind: str) -> pd.DataFrame:
        """One row per project and case (``kind`` 个案) or group (小组) the catalogue's qualification rules judged.

        A case or group counts when every indicator that considers it counts it; otherwise the reasons of the
        indicators that refused it, joined by ；, with the sessions still needed and the records missing.
        Columns: project_code, code, counted, reason_code, reason, indicator_ids, counted_sessions, needed,
        missing_records, short_sessions.
        """
        return combine(self.verdicts[self.verdicts["kind"] == kind])

    def explain(self, project_code: str, indicator_id: str) -> pd.DataFrame:
        """What counted and what did not for one indicator of one project (counted first)."""
        e = self.explanations
        rows = e[(e["project_code"] == project_code) & (e["indicator_id"].str.upper() == indicator_id.upper())]
        return rows.sort_values(["counted", "period", "record_id"], ascending=[False, True, True]).reset_index(drop=True)

    def rollup(self, ds, level: str = "station") -> pd.DataFrame:
        """Status counts and shares per station, county hub or district (``level``)."""
        return rollup(self.summary, ds, level)
