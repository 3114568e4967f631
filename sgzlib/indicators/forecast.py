"""Forecast: where each indicator of a running project will stand when the project ends, and what it takes.

For every running project × indicator (the 全期 rows of an ``Evaluation``):

- ``projected``: the value expected at the end of the project. A whole-period total grows from today's
  value at the pace so far: ``actual / share``, where ``share`` is the elapsed share of the project period
  (``pace``) or, with a ``Reference``, the share of their year-end value that other stations' past projects
  of the same catalogue had reached at the same point of their year (``seasonal``; leave-one-station-out,
  the median over the other stations). A per-period indicator (``docs/counting-rules.md``, rules 1, 2 and 8) is projected period
  by period: each month or quarter still to come gets an expected count from the pace of the ended ones
  (times the period's seasonal factor), and the chance that it reaches the target (a Poisson count);
  ``projected_missed`` names those whose chance is below one half, and ``projected`` is the number of
  periods met: those ended and met, and those to come not named.
- ``will_miss``: the flag ``labels.WILL_MISS`` — the projected value falls short of the target, or a period
  has been or is projected to be missed. State indicators (staff, a ledger that exists) keep today's state;
  checklist items are verified by a person and get no forecast.
- ``met_by``: the date the target is reached if the rest of the period goes as projected.
- ``needed``: what each remaining month must add (whole numbers, rounded up): records, yuan, people still
  to reach for a coverage indicator; for per-period indicators the target of each period.

Which method: ``benchmarks/bench_forecast.py`` back-tests both on the synthetic province (forecasts in June
and September against the year-end values); the seasonal method is used whenever a reference exists.
The counting itself is the engine's: this module reads an ``Evaluation`` and never counts records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..domain.labels import (
    FORECAST_METHODS,
    MET,
    PERIOD_EVERY,
    PERIOD_KIND_LABELS,
    PERIOD_UNIT,
    PERIOD_WHOLE,
    WILL_MISS,
)
from ..errors import DataError
from .catalogue import load_catalogue
from .context import resolve_projects
from .engine import evaluate as engine_evaluate
from .periods import label, month_number
from .registry import RULES, STATE

PACE, SEASONAL = "pace", "seasonal"
DAYS_PER_MONTH = 365.25 / 12
R_MIN = 0.05  # a seasonal share below this (nothing happens this early in a year) is not divided by
EPS = 1e-9
COLUMNS = ["project_code", "station_code", "indicator_id", "method", "projected", "target", "unit",
           "missed_periods", "projected_missed", "met_by", "needed", "needed_text", "will_miss", "note"]
PERIOD_RULES_BY_PEOPLE = ("per_person_period",)  # per-period rules whose value is a share of people, not a count


@dataclass
class Reference:
    """What other stations' past projects of the same catalogue say about the shape of a year.

    ``ratios``: catalogue, indicator_id, shape, station_code, value — a whole-period indicator's value at the
    point of the year the forecast is made, divided by its value at the end of that project.
    ``factors``: catalogue, indicator_id, shape, k, station_code, value — a per-period count in the k-th
    period of that project, divided by the project's mean count per period.
    ``shape`` is a project's first and last month-day (``shape_of``): only projects of the same shape are
    compared. ``cohort``: the Chinese description of the projects learned from.
    """

    ratios: pd.DataFrame
    factors: pd.DataFrame
    cohort: str


def shape_of(start: pd.Series, end: pd.Series) -> pd.Series:
    """The key projects are aligned on: first and last month-day and the years between (``01-01~12-31+0``:
    a calendar year, leap or not)."""
    return (start.dt.strftime("%m-%d") + "~" + end.dt.strftime("%m-%d") + "+"
            + (end.dt.year - start.dt.year).astype(str))


def forecast(ds, ev, reference: Reference | None = None, method: str | None = None) -> pd.DataFrame:
    """One row per running project × indicator of ``ev`` (``COLUMNS``); empty when no project is running.

    ``method``: ``pace`` or ``seasonal`` (default: seasonal when a ``reference`` is given).
    """
    method = method or (SEASONAL if reference is not None else PACE)
    if method == SEASONAL and reference is None:
        method = PACE
    as_of = pd.Timestamp(ev.as_of)
    projects = ds.projects.set_index("code")[["start", "end"]]
    summary = ev.summary
    start = summary["project_code"].map(projects["start"])
    end = summary["project_code"].map(projects["end"])
    running = summary[((start <= as_of) & (end > as_of)).to_numpy(dtype=bool)].copy()
    if running.empty:
        return pd.DataFrame(columns=COLUMNS)
    running["start"], running["end"] = start[running.index], end[running.index]
    running["shape"] = shape_of(running["start"], running["end"])
    periods = ev.results[(ev.results["period"] != PERIOD_WHOLE) & ev.results["project_code"].isin(
        running["project_code"])]
    per_period = set(zip(periods["project_code"], periods["indicator_id"]))
    keys = list(zip(running["project_code"], running["indicator_id"]))
    is_period = np.array([k in per_period for k in keys], dtype=bool)
    is_state = running["rule"].map(lambda r: RULES[r].progress == STATE).to_numpy(dtype=bool)
    parts = [
        _whole(ev, running[~is_period & ~is_state], as_of, reference, method),
        _state(running[~is_period & is_state]),
        _periods(running[is_period], periods, as_of, reference, method),
    ]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=COLUMNS)
    order = running[["project_code", "indicator_id"]].reset_index(drop=True).reset_index()
    out = out.merge(order, on=["project_code", "indicator_id"]).sort_values("index").drop(columns="index")
    return out[COLUMNS].reset_index(drop=True)


# -- whole-period totals --------------------------------------------------------------------------------

def _whole(ev, rows: pd.DataFrame, as_of: pd.Timestamp, ref: Reference | None, method: str) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    actual = rows["actual"].to_numpy(dtype=float)
    target = rows["target"].to_numpy(dtype=float)
    days_left = (rows["end"] - as_of).dt.days.to_numpy(dtype=float)
    share = np.clip(((as_of - rows["start"]).dt.days.to_numpy(dtype=float) + 1)
                    / ((rows["end"] - rows["start"]).dt.days.to_numpy(dtype=float) + 1), 0, 1)
    ratio = share.copy()
    seasonal = np.zeros(len(rows), dtype=bool)
    if method == SEASONAL and len(ref.ratios):
        learned = loso_median(ref.ratios, rows, ["catalogue", "indicator_id", "shape"])
        seasonal = ~np.isnan(learned) & (learned >= R_MIN)
        ratio = np.where(seasonal, np.minimum(learned, 1.0), share)
    projected = np.where(ratio > 0, actual / np.where(ratio > 0, ratio, 1), actual)
    projected = np.where(rows["unit"].to_numpy(dtype=object) == "%", np.minimum(projected, 100.0), projected)
    projected = np.maximum(projected, actual)
    met = (rows["status"] == MET).to_numpy() | (actual >= target - EPS)
    will_miss = ~met & (projected < target - EPS)
    gain = projected - actual
    with np.errstate(divide="ignore", invalid="ignore"):
        days_to_target = np.where(met | (gain <= EPS), np.nan, np.ceil((target - actual) / gain * days_left))
    met_by = [pd.NaT if np.isnan(d) else as_of + pd.Timedelta(days=int(d)) for d in days_to_target]
    months_left = np.maximum(days_left / DAYS_PER_MONTH, 1.0)
    need, unit = _needed(ev, rows, actual, target)
    needed = np.where(met, 0, np.ceil(need / months_left - EPS)).astype(int)
    out = pd.DataFrame({
        "project_code": rows["project_code"].to_numpy(), "station_code": rows["station_code"].to_numpy(),
        "indicator_id": rows["indicator_id"].to_numpy(), "method": np.where(seasonal, SEASONAL, PACE),
        "projected": projected, "target": target, "unit": rows["unit"].to_numpy(), "missed_periods": None,
        "projected_missed": None, "met_by": met_by,
        "needed": needed, "needed_text": [f"每月还需 {n} {u}" if n else "" for n, u in zip(needed, unit)],
        "will_miss": will_miss})
    method_words = np.where(seasonal, f"{FORECAST_METHODS[SEASONAL]}（参照{ref.cohort if ref else ''}）",
                            FORECAST_METHODS[PACE])
    out["note"] = [_whole_note(*a) for a in zip(method_words, projected, target, out["unit"], met, will_miss,
                                                 met_by, out["needed_text"])]
    return out


def _needed(ev, rows: pd.DataFrame, actual: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """What is still missing to the target, and its unit: for coverage the people (roster members) still to
    reach, from the engine's explanation rows (one per roster member, counted or not)."""
    need = np.maximum(target - actual, 0)
    units = rows["unit"].tolist()
    coverage = (rows["rule"] == "coverage").to_numpy()
    if coverage.any():
        e = ev.explanations
        cov = rows[coverage]
        e = e[e["indicator_id"].isin(set(cov["indicator_id"])) & e["project_code"].isin(set(cov["project_code"]))]
        agg = e.groupby(["project_code", "indicator_id"])["counted"].agg(["size", "sum"])
        key = pd.MultiIndex.from_frame(cov[["project_code", "indicator_id"]])
        size = agg["size"].reindex(key).fillna(0).to_numpy(dtype=float)
        done = agg["sum"].reindex(key).fillna(0).to_numpy(dtype=float)
        need[coverage] = np.maximum(np.ceil(target[coverage] / 100 * size - EPS) - done, 0)
        for i in np.flatnonzero(coverage):
            units[i] = "人"
    return need, units


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or abs(x) >= 100 else f"{x:.1f}"


def _whole_note(method, projected, target, unit, met, will_miss, met_by, needed_text) -> str:
    if met:
        return f"已达标（{_num(target)}{unit}）"
    text = f"{method}，期末预计 {_num(projected)}{unit}（目标 {_num(target)}{unit}）"
    if pd.notna(met_by):
        text += f"，预计 {met_by:%Y-%m-%d} 达到目标"
    if will_miss:
        text += f"，{WILL_MISS}"
    return text + (f"；{needed_text}" if needed_text else "")


# -- state indicators -------------------------------------------------------------------------------------

def _state(rows: pd.DataFrame) -> pd.DataFrame:
    """Staff, a ledger that exists, checklist items: today's state is the forecast (a checklist gets none)."""
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    checklist = (rows["rule"] == "checklist").to_numpy()
    actual, target = rows["actual"].to_numpy(dtype=float), rows["target"].to_numpy(dtype=float)
    met = (rows["status"] == MET).to_numpy()
    will_miss = ~met & ~checklist
    short = np.where(met | checklist, 0, np.ceil(np.maximum(target - actual, 0) - EPS)).astype(int)
    units = rows["unit"].to_numpy(dtype=object)
    needed_text = [f"还需 {n} {u}" if n else "" for n, u in zip(short, units)]
    notes = ["检查项由评估人员核验，不作预测" if c else (f"已达标（{_num(t)}{u}）" if m else
             f"{FORECAST_METHODS[STATE]} {_num(a)}{u}（目标 {_num(t)}{u}），{WILL_MISS}；{n}")
             for c, m, a, t, u, n in zip(checklist, met, actual, target, units, needed_text)]
    return pd.DataFrame({
        "project_code": rows["project_code"].to_numpy(), "station_code": rows["station_code"].to_numpy(),
        "indicator_id": rows["indicator_id"].to_numpy(), "method": STATE,
        "projected": np.where(checklist, np.nan, actual), "target": target, "unit": units, "missed_periods": None,
        "projected_missed": None, "met_by": pd.NaT, "needed": short, "needed_text": needed_text,
        "will_miss": will_miss, "note": notes})


# -- per-period indicators --------------------------------------------------------------------------------

def period_grid(summary: pd.DataFrame, periods: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every period of every running per-period indicator — ended, current and still to come.

    Columns: project_code, indicator_id, rule, kind, k (the period's place in its project, from 0), period,
    count (the engine's value; NaN for periods to come), met (ended and current: the engine's verdict),
    ended, share (elapsed share: 1 ended, 0 to come), n (the per-period target).
    """
    meta = summary.set_index(["project_code", "indicator_id"])
    key = pd.MultiIndex.from_frame(periods[["project_code", "indicator_id"]])
    kind = periods["period_kind"].to_numpy(dtype=object)
    step = np.where(kind == "month", 1, 3)
    months = month_number(periods["period_end"])
    pnum = months // step
    first = month_number(meta["start"].reindex(key)) // step
    p_start = pd.to_datetime((pnum * step).astype("datetime64[M]").astype("datetime64[D]"))
    length = (periods["period_end"].to_numpy() - p_start.to_numpy()).astype("timedelta64[D]").astype(float) + 1
    elapsed = (as_of - p_start).days.to_numpy(dtype=float) + 1
    seen = pd.DataFrame({
        "project_code": periods["project_code"].to_numpy(), "indicator_id": periods["indicator_id"].to_numpy(),
        "rule": periods["rule"].to_numpy(), "kind": kind, "k": pnum - first, "pnum": pnum,
        "period": periods["period"].to_numpy(), "count": periods["actual"].to_numpy(dtype=float),
        "met": (periods["status"] == MET).to_numpy(), "ended": (periods["period_end"] <= as_of).to_numpy(),
        "share": np.clip(elapsed / length, 0, 1), "n": periods["target"].to_numpy(dtype=float)})
    last = seen.groupby(["project_code", "indicator_id"], sort=False).agg(
        rule=("rule", "first"), kind=("kind", "first"), pnum=("pnum", "max"), first=("k", "min"),
        n=("n", "first")).reset_index()
    step = np.where(last["kind"] == "month", 1, 3)
    end_key = pd.MultiIndex.from_frame(last[["project_code", "indicator_id"]])
    final = month_number(meta["end"].reindex(end_key)) // step
    start_p = month_number(meta["start"].reindex(end_key)) // step
    todo = np.maximum(final - last["pnum"].to_numpy(), 0)
    idx = np.repeat(np.arange(len(last)), todo)
    offset = np.arange(todo.sum()) - np.repeat(np.cumsum(todo) - todo, todo)
    future_p = last["pnum"].to_numpy()[idx] + 1 + offset
    kinds = last["kind"].to_numpy(dtype=object)[idx]
    labels = np.empty(len(idx), dtype=object)
    for k in ("month", "quarter"):
        sel = kinds == k
        labels[sel] = label(future_p[sel], k)
    future = pd.DataFrame({
        "project_code": last["project_code"].to_numpy()[idx], "indicator_id": last["indicator_id"].to_numpy()[idx],
        "rule": last["rule"].to_numpy()[idx], "kind": kinds, "k": future_p - start_p[idx], "pnum": future_p,
        "period": labels, "count": np.nan, "met": False, "ended": False, "share": 0.0,
        "n": last["n"].to_numpy(dtype=float)[idx]})
    grid = pd.concat([seen, future], ignore_index=True)
    return grid.sort_values(["project_code", "indicator_id", "k"], kind="stable").reset_index(drop=True)


def period_chances(grid: pd.DataFrame, factors: np.ndarray | None) -> np.ndarray:
    """For every row of ``period_grid``: the chance the period is met (1 or 0 once ended).

    A count per period is Poisson with mean ``base × factor``: ``base`` is the ended periods' total divided
    by their factors' total (factor 1 everywhere without seasons: the mean count per ended period); with no
    period ended yet, the current period's count so far over its elapsed share. A share-of-people rule
    (``per_person_period``) meets a period to come as often as its ended periods were met.
    """
    f = np.ones(len(grid)) if factors is None else np.where(np.isnan(factors), 1.0, factors)
    g = grid.assign(f=f, c=grid["count"].fillna(0), fe=np.where(grid["ended"], f, 0.0),
                    ce=np.where(grid["ended"], grid["count"].fillna(0), 0.0),
                    fcur=np.where(~grid["ended"], f * grid["share"], 0.0),
                    ccur=np.where(~grid["ended"] & (grid["share"] > 0), grid["count"].fillna(0), 0.0),
                    me=np.where(grid["ended"], grid["met"], False).astype(float), one=grid["ended"].astype(float))
    keys = ["project_code", "indicator_id"]
    agg = g.groupby(keys, sort=False)[["fe", "ce", "fcur", "ccur", "me", "one"]].transform("sum")
    base = np.where(agg["fe"] > EPS, agg["ce"] / np.maximum(agg["fe"], EPS),
                    np.where(agg["fcur"] > EPS, agg["ccur"] / np.maximum(agg["fcur"], EPS), 0.0))
    rest = base * g["f"].to_numpy() * (1 - g["share"].to_numpy())
    short = g["n"].to_numpy() - g["c"].to_numpy()
    chance = np.where(short <= EPS, 1.0, stats.poisson.sf(np.ceil(short - EPS) - 1, np.maximum(rest, 1e-12)))
    people = grid["rule"].isin(PERIOD_RULES_BY_PEOPLE).to_numpy()
    rate = (agg["me"] + 1) / (agg["one"] + 2)  # ended periods met, smoothed towards one half
    chance = np.where(people, np.where(grid["met"], 1.0, rate), chance)
    return np.where(grid["ended"], grid["met"].astype(float), chance)


def _periods(summary: pd.DataFrame, periods: pd.DataFrame, as_of, ref: Reference | None, method: str) -> pd.DataFrame:
    if summary.empty:
        return pd.DataFrame(columns=COLUMNS)
    grid = period_grid(summary, periods, as_of)
    factors, seasonal = None, np.zeros(len(grid), dtype=bool)
    if method == SEASONAL and len(ref.factors):
        meta = summary.set_index(["project_code", "indicator_id"])
        key = pd.MultiIndex.from_frame(grid[["project_code", "indicator_id"]])
        queries = grid.assign(catalogue=meta["catalogue"].reindex(key).to_numpy(),
                              station_code=meta["station_code"].reindex(key).to_numpy(),
                              shape=meta["shape"].reindex(key).to_numpy())
        factors = loso_median(ref.factors, queries, ["catalogue", "indicator_id", "shape", "k"])
        seasonal = ~np.isnan(factors)
    grid["chance"] = period_chances(grid, factors)
    grid["seasonal"] = seasonal
    grid["missed"] = grid["ended"] & ~grid["met"]
    grid["doubt"] = ~grid["ended"] & (grid["chance"] < 0.5)
    keys = ["project_code", "indicator_id"]
    agg = grid.groupby(keys, sort=False).agg(
        periods=("k", "size"), kind=("kind", "first"), n=("n", "first"), seasonal=("seasonal", "any"),
        rule=("rule", "first"), n_missed=("missed", "sum"), n_doubt=("doubt", "sum"))
    agg["projected"] = agg["periods"] - agg["n_missed"] - agg["n_doubt"]
    agg["missed_periods"] = _labels(grid[grid["missed"]], keys, agg.index)
    agg["projected_missed"] = _labels(grid[grid["doubt"]], keys, agg.index)
    rows = summary.set_index(keys).loc[agg.index]
    will_miss = (agg["n_missed"] > 0) | (agg["n_doubt"] > 0)
    kind = agg["kind"].to_numpy(dtype=object)
    ind_unit = periods.drop_duplicates(keys).set_index(keys)["unit"].reindex(agg.index).to_numpy(dtype=object)
    per_person = agg["rule"].isin(PERIOD_RULES_BY_PEOPLE).to_numpy()
    per_period = agg["n"].to_numpy(dtype=float, copy=True)
    if per_person.any():
        per_period[per_person] = [_indicator_target(c, t, i) for c, t, i in zip(
            rows["catalogue"].to_numpy()[per_person], rows["tier"].to_numpy()[per_person],
            [k[1] for k in agg.index[per_person]])]
    needed = np.ceil(per_period - EPS).astype(int)
    needed_text = [f"{PERIOD_EVERY[k]}每人还需 {n} 次" if p else f"{PERIOD_EVERY[k]}还需 {n} {u}"
                   for k, p, n, u in zip(kind, per_person, needed, ind_unit)]
    method_words = np.where(agg["seasonal"], f"{FORECAST_METHODS[SEASONAL]}（参照{ref.cohort if ref else ''}）",
                            FORECAST_METHODS[PACE])
    out = pd.DataFrame({
        "project_code": [k[0] for k in agg.index], "station_code": rows["station_code"].to_numpy(),
        "indicator_id": [k[1] for k in agg.index], "method": np.where(agg["seasonal"], SEASONAL, PACE),
        "projected": agg["projected"].to_numpy(dtype=float),
        "target": rows["target"].to_numpy(dtype=float), "unit": rows["unit"].to_numpy(),
        "missed_periods": agg["missed_periods"].to_numpy(dtype=object),
        "projected_missed": agg["projected_missed"].to_numpy(dtype=object), "met_by": pd.NaT, "needed": needed,
        "needed_text": needed_text, "will_miss": will_miss.to_numpy(dtype=bool)})
    out["note"] = [_period_note(*a) for a in zip(method_words, kind, out["projected"], out["target"],
                                                  out["missed_periods"], out["projected_missed"], out["will_miss"],
                                                  out["needed_text"])]
    return out


def _indicator_target(catalogue: str, tier, indicator_id: str) -> float:
    """The catalogue's target of an indicator for a tier (a per-person rule's visits per period)."""
    return float(load_catalogue(catalogue).indicator(indicator_id).target(tier if isinstance(tier, str) else None))


def _labels(rows: pd.DataFrame, keys: list[str], index: pd.Index) -> pd.Series:
    """The periods of ``rows`` joined by 、 per (project, indicator) of ``index`` (None where there are none)."""
    joined = rows.groupby(keys, sort=False)["period"].agg("、".join).reindex(index).astype(object)
    return joined.where(joined.notna(), None)


def _period_note(method, kind, projected, target, missed, doubt, will_miss, needed_text) -> str:
    unit = PERIOD_UNIT[kind]
    text = f"{method}，{target:.0f}{unit}中预计 {projected:.0f} 个达标"
    if isinstance(missed, str):
        text += f"；已未达标：{missed}"
    if isinstance(doubt, str):
        text += f"；预计未达标：{doubt}"
    if will_miss:
        text += f"，{WILL_MISS}"
    return f"{text}；{needed_text}（{PERIOD_KIND_LABELS[kind]}末结算）"


# -- leave-one-station-out medians ---------------------------------------------------------------------

def loso_median(values: pd.DataFrame, queries: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of ``queries``: the median ``value`` of the rows of ``values`` with the same ``keys``,
    leaving out the rows of the query's own ``station_code`` (NaN when nothing is left).

    Each group's values are sorted once; the median without one value is read off the sorted array by rank,
    so a group of n stations costs one sort, not n medians.
    """
    out = np.full(len(queries), np.nan)
    if values.empty or queries.empty:
        return out
    groups = values.groupby(keys, sort=False).indices
    wanted = queries.groupby(keys, sort=False).indices
    v_all = values["value"].to_numpy(dtype=float)
    s_all = values["station_code"].to_numpy(dtype=object)
    q_station = queries["station_code"].to_numpy(dtype=object)
    for key, qpos in wanted.items():
        vpos = groups.get(key)
        if vpos is None:
            continue
        order = np.argsort(v_all[vpos], kind="stable")
        a, st = v_all[vpos][order], s_all[vpos][order]
        index = pd.Index(st)
        if index.is_unique:
            rank = index.get_indexer(q_station[qpos])
            out[qpos] = _median_without(a, rank)
        else:  # a station with several past projects of this shape: leave all of them out, one by one
            out[qpos] = [np.median(a[st != q]) if (st != q).any() else np.nan for q in q_station[qpos]]
    return out


def _median_without(a: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The median of sorted ``a`` without the element at ``rank`` (all of ``a`` where ``rank`` is -1)."""
    full = float(np.median(a))
    m = len(a) - 1  # the shortened array's length; its element p is a[p] before the rank, a[p + 1] from it on
    if m == 0:
        return np.where(rank < 0, full, np.nan)
    lo, hi = (m - 1) // 2, m // 2
    without = (a[np.where(lo < rank, lo, lo + 1)] + a[np.where(hi < rank, hi, hi + 1)]) / 2
    return np.where(rank < 0, full, without)


# -- learning the reference -------------------------------------------------------------------------------

def resolved_projects(ds, codes: set[str] | None = None) -> pd.DataFrame:
    """Projects with their catalogue id and ``shape``; when some project names no known catalogue (the
    evaluation of others still runs), only ``codes`` and the projects naming the same catalogues."""
    try:
        projects = resolve_projects(ds)
    except DataError:
        p = ds.projects
        names = set(p.loc[p["code"].isin(codes or set()), "catalogue"])
        projects = resolve_projects(ds, p.loc[p["catalogue"].isin(names), "code"].tolist())
    return projects.assign(shape=shape_of(projects["start"], projects["end"]))


def running_projects(ds, as_of, codes=None) -> pd.DataFrame:
    """The projects (of ``codes``, or all) running on ``as_of``, resolved (``resolved_projects``)."""
    as_of = pd.Timestamp(as_of)
    projects = resolved_projects(ds, set(codes) if codes is not None else None)
    keep = (projects["start"] <= as_of) & (projects["end"] > as_of)
    if codes is not None:
        keep &= projects["code"].isin(set(codes))
    return projects[keep].reset_index(drop=True)


def past_projects(projects: pd.DataFrame, as_of, running: pd.DataFrame) -> pd.DataFrame:
    """The projects a forecast of ``running`` learns from: ended before ``as_of``, of the same catalogue and
    shape, and of the latest such year (``projects``: ``resolved_projects``)."""
    as_of = pd.Timestamp(as_of)
    past = projects[(projects["end"] < as_of) & projects["catalogue"].isin(set(running["catalogue"]))
                    & projects["shape"].isin(set(running["shape"]))]
    if past.empty:
        return past
    latest = past.groupby(["catalogue", "shape"])["start"].transform("max")
    return past[past["start"] == latest]


def reference(ds, as_of, running: pd.DataFrame, evaluate=None) -> Reference | None:
    """The ``Reference`` for the ``running`` projects (``running_projects``) on ``as_of``, learned from the
    past projects in ``ds`` (``past_projects``), each evaluated at the same point of its year and at its end
    (two evaluations of those projects only). ``None`` when there is no such project (the forecast then goes
    by pace alone). ``ds`` needs to hold those projects' stations only.
    """
    evaluate = evaluate or engine_evaluate
    as_of = pd.Timestamp(as_of)
    past = past_projects(resolved_projects(ds), as_of, running) if len(running) else running
    if past.empty:
        return None
    offset = running.drop_duplicates("shape").set_index("shape")["start"].rsub(as_of)
    ratios, factors = [], []
    for (shape, start), cohort in past.groupby(["shape", "start"]):
        codes = cohort["code"].tolist()
        then = evaluate(ds, (start + offset[shape]).date(), projects=codes)
        final = evaluate(ds, cohort["end"].max().date(), projects=codes)
        ratios.append(_ratios(then, final).assign(shape=shape))
        factors.append(_factors(final, cohort).assign(shape=shape))
    years = sorted({f"{s.year}" for s in past["start"]})
    n = past["station_code"].nunique()
    return Reference(pd.concat(ratios, ignore_index=True), pd.concat(factors, ignore_index=True),
                     f"{'、'.join(years)}年同清单 {n} 个站点的项目")


def _ratios(then, final) -> pd.DataFrame:
    keys = ["project_code", "indicator_id"]
    end = final.summary[final.summary["rule"].map(lambda r: RULES[r].progress != STATE)]
    per_period = set(final.results.loc[final.results["period"] != PERIOD_WHOLE, "indicator_id"])
    end = end[~end["indicator_id"].isin(per_period) & (end["actual"] > EPS)]
    before = then.summary.set_index(keys)["actual"]
    value = before.reindex(pd.MultiIndex.from_frame(end[keys])).to_numpy(dtype=float) / end["actual"].to_numpy()
    return pd.DataFrame({"catalogue": end["catalogue"].to_numpy(), "indicator_id": end["indicator_id"].to_numpy(),
                         "station_code": end["station_code"].to_numpy(), "value": value}).dropna()


def _factors(final, cohort: pd.DataFrame) -> pd.DataFrame:
    rows = final.results[(final.results["period"] != PERIOD_WHOLE) & (final.results["rule"] == "period_count")]
    if rows.empty:
        return pd.DataFrame(columns=["catalogue", "indicator_id", "station_code", "k", "value"])
    start = rows["project_code"].map(cohort.set_index("code")["start"])
    step = np.where(rows["period_kind"] == "month", 1, 3)
    k = month_number(rows["period_end"]) // step - month_number(start) // step
    mean = rows.groupby(["project_code", "indicator_id"])["actual"].transform("mean").to_numpy(dtype=float)
    out = pd.DataFrame({"catalogue": rows["catalogue"].to_numpy(), "indicator_id": rows["indicator_id"].to_numpy(),
                        "station_code": rows["station_code"].to_numpy(), "k": k,
                        "value": rows["actual"].to_numpy(dtype=float) / np.where(mean > EPS, mean, np.nan)})
    return out.dropna()

