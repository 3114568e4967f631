"""The indicator engine and the hand-written DuckDB reference agree, project by project, period by period.

The reference (``benchmarks/duckdb_reference.py``) is a second implementation of the
heaviest rule kinds (monthly/quarterly counts under the photo rules, per-person
visits per quarter, qualified groups, roster coverage), written in SQL from the
rules' definitions; the engine is pandas. On the synthetic province, made
harder with shared photos (between service records and between sessions of
different groups), several photos per record and people who left, every row
must be the same: the 全期 row and each month or quarter, actual, target,
expected by the date and status.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from benchmarks import duckdb_reference  # duckdb and pyarrow: dependencies of the test extra, never skipped
from benchmarks.synthetic import province
from sgzlib.domain.validation import problems
from sgzlib.indicators import evaluate
from sgzlib.indicators.catalogue import load_catalogue
from sgzlib.indicators.context import resolve_projects

AS_OF = dt.date(2025, 11, 20)  # inside a month and a quarter: current periods are compared too


def harder_province():
    ds = province(10, seed=3)
    rng = np.random.default_rng(11)
    s = ds.frames["services"]
    photos = s["photos"].to_numpy(dtype=object)
    # 200 records get a second photo that another record already uses, 100 an extra blank item
    two = rng.choice(len(s), 200, replace=False)
    photos[two] = [f"{p}、{photos[j]}" if isinstance(p, str) and isinstance(photos[j], str) else p
                   for p, j in zip(photos[two], rng.choice(len(s), 200))]
    blank = rng.choice(len(s), 100, replace=False)
    photos[blank] = [f"{p}、 " if isinstance(p, str) else p for p in photos[blank]]
    s["photos"] = pd.array(photos, dtype="string")
    g = ds.frames["group_sessions"]
    gp = g["photos"].to_numpy(dtype=object)
    copy = rng.choice(len(g), 60, replace=False)
    gp[copy] = gp[rng.choice(len(g), 60)]  # photos reused by sessions of other groups
    g["photos"] = pd.array(gp, dtype="string")
    b = ds.frames["beneficiaries"]
    left = pd.Series(pd.NaT, index=b.index, dtype="datetime64[s]")
    gone = rng.choice(np.flatnonzero((b["joined"] == "2025-01-01").to_numpy()), 150, replace=False)
    left.iloc[gone] = pd.to_datetime("2025-05-01") + pd.to_timedelta(rng.integers(0, 150, 150), unit="D")
    b["left"] = left
    return ds


def covered_indicators(ds) -> set[tuple[str, str]]:
    """(project, indicator) of every indicator of the reference's rule kinds that applies to a project of ``ds``,
    read from the catalogues here (tier target given, optional task chosen), not from either side's results."""
    out = set()
    for _, project in resolve_projects(ds).iterrows():
        cat = load_catalogue(project["catalogue"])
        tier = project["tier"] if isinstance(project["tier"], str) and project["tier"] else None
        for ind in cat.indicators:
            if ind.rule in duckdb_reference.KINDS and ind.target(tier) is not None and \
                    (not ind.tasks or set(ind.tasks) & set(project["tasks"])):
                out.add((project["code"], ind.id))
    return out


@pytest.fixture(scope="module")
def hard():
    return harder_province()  # read only: evaluate and the reference copy what they change


@pytest.mark.slow
@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2025, 12, 31)])
def test_reference_and_engine_agree_on_a_province(hard, as_of):
    ds = hard
    assert problems(ds) == []  # data the product accepts
    ev = evaluate(ds, as_of)
    ref = duckdb_reference.run(ds, as_of)
    assert duckdb_reference.compare(ref, ev.results) == []
    # every indicator of the four kinds the catalogues apply to these projects was computed, none left out
    assert ref.skipped == []
    assert {(code, j.indicator) for j in ref.jobs for code in j.projects} == covered_indicators(ds)
    assert {(c, i) for c, i, _ in ref.rows} == covered_indicators(ds)
    # it compared real work: every rule kind, 全期 rows and period rows, values that are not all zero
    compared = ev.results[ev.results["indicator_id"].isin({i for _, i, _ in ref.rows})]
    assert set(compared["rule"]) == {"period_count", "per_person_period", "qualified_groups", "coverage"}
    periods = {p for _, _, p in ref.rows}
    assert "全期" in periods and any(p.endswith("Q4") for p in periods) and "2025-11" in periods
    assert sum(r.actual > 0 for r in ref.rows.values()) > 0.7 * len(ref.rows)
    statuses = {r.status for r in ref.rows.values()}
    # in the middle of November and of Q4: current periods on track, behind or (nothing yet) not started;
    # at year end only met / missed
    assert statuses == ({"达标", "未达标", "进度正常", "落后", "未开始"} if as_of == AS_OF else {"达标", "未达标"})


@pytest.fixture(scope="module")
def small():
    ds = province(3, seed=5)
    return duckdb_reference.run(ds, AS_OF), evaluate(ds, AS_OF).results


@pytest.mark.slow
@pytest.mark.parametrize("column, change", [("actual", 1.0), ("expected", 0.5), ("target", 1.0), ("status", None)])
def test_compare_reports_a_changed_value(small, column, change):
    ref, results = small
    assert duckdb_reference.compare(ref, results) == []
    (project, indicator, period), row = next((k, r) for k, r in ref.rows.items() if k[2] != "全期" and r.actual > 0)
    at = results.index[(results["project_code"] == project) & (results["indicator_id"] == indicator)
                       & (results["period"] == period)]
    changed = results.copy()
    if change is None:
        changed.loc[at, "status"] = "落后" if row.status != "落后" else "达标"
    else:
        changed.loc[at, column] += change
    differences = duckdb_reference.compare(ref, changed)
    assert len(differences) == 1 and str((project, indicator, period)) in differences[0]


@pytest.mark.slow
def test_compare_reports_missing_and_extra_rows_and_what_it_could_not_compute(small):
    ref, results = small
    key = next(k for k in ref.rows if k[2] == "全期")
    dropped = results[~((results["project_code"] == key[0]) & (results["indicator_id"] == key[1])
                        & (results["period"] == key[2]))]
    assert duckdb_reference.compare(ref, dropped) == [f"{key}：引擎没有这一行，参照 {ref.rows[key]}"]
    extra = dict(ref.rows)
    del ref.rows[key]
    try:
        assert len(duckdb_reference.compare(ref, results)) == 1
    finally:
        ref.rows = extra
    ref.skipped.append("某清单 某指标")
    try:
        assert duckdb_reference.compare(ref, results) == ["参照未实现，无法核对：某清单 某指标"]
    finally:
        ref.skipped.pop()
