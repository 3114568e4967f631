"""The indicator engine and the hand-written DuckDB reference agree, project by project, period by period.

The reference (``benchmarks/duckdb_reference.py``) is a second implementation of the
heaviest rule kinds (monthly/quarterly counts under the photo rules, per-person
visits per quarter, qualified groups, roster coverage), written in SQL from the
rules' definitions; the engine is pandas. On the synthetic province, made
harder with shared photos (between service records and between sessions of
different groups), several photos per record and people who left, every
per-project value must be the same.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from benchmarks import duckdb_reference  # noqa: E402
from benchmarks.synthetic import province  # noqa: E402
from sgzlib.domain.validation import problems
from sgzlib.indicators import evaluate  # noqa: E402

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


@pytest.mark.slow
def test_reference_and_engine_agree_on_a_province():
    ds = harder_province()
    assert problems(ds) == []  # data the product accepts
    ev = evaluate(ds, AS_OF)
    ref = duckdb_reference.run(ds, AS_OF)
    assert duckdb_reference.compare(ref, ev.results) == []
    # it compared real work: every rule kind, with values that are not all zero
    compared = ev.results[ev.results["indicator_id"].isin({i for _, i, _ in ref.actual})]
    assert set(compared["rule"]) == {"period_count", "per_person_period", "qualified_groups", "coverage"}
    assert sum(v > 0 for v in ref.actual.values()) > 0.8 * len(ref.actual)
    # the charity-aid monthly counts are not services: the reference names what it left out
    assert all("source" in s for s in ref.skipped)


@pytest.mark.slow
def test_compare_reports_a_difference():
    ds = province(3, seed=5)
    ev = evaluate(ds, AS_OF)
    ref = duckdb_reference.run(ds, AS_OF)
    key = next(k for k, v in ref.actual.items() if v > 0)
    ref.actual[key] += 1
    assert len(duckdb_reference.compare(ref, ev.results)) == 1
