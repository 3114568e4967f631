"""The forecast's arithmetic (``sgzlib.indicators.forecast``), on hand-made evaluation results: the numbers
next to each assertion are worked out by hand from the rule in the module's docstring."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sgzlib.domain.dataset import Dataset
from sgzlib.domain.labels import WILL_MISS
from sgzlib.indicators import forecast as fc

START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")


def evaluation(as_of, rows, explanations=None):
    """A stand-in for ``Evaluation``: results rows (全期 and per period), as_of, explanations."""
    base = {"station_code": "S1", "project_code": "P1", "catalogue": "zhalainuoer-2026", "tier": None,
            "period": "全期", "period_kind": "whole", "period_end": END, "status": "落后", "unit": "次"}
    results = pd.DataFrame([{**base, **r} for r in rows])
    return SimpleNamespace(as_of=pd.Timestamp(as_of), results=results,
                           summary=results[results["period"] == "全期"].reset_index(drop=True),
                           explanations=explanations if explanations is not None else pd.DataFrame(
                               columns=["project_code", "indicator_id", "counted"]))


PROJECTS = Dataset({"projects": pd.DataFrame([{"code": "P1", "station_code": "S1", "year": 2025, "start": START,
                                                "end": END, "budget": 1.0, "catalogue": "zhalainuoer-2026"}])})


def one(ev, **kw) -> pd.Series:
    f = fc.forecast(PROJECTS, ev, **kw)
    assert len(f) == 1
    return f.iloc[0]


# -- whole-period totals at the pace so far -----------------------------------------------------------------

def test_behind_pace_projects_short_of_the_target():
    # 30 June: 181 of 365 days elapsed. 40 so far → 40 × 365 / 181 = 80.66 at the end, short of 100.
    f = one(evaluation("2025-06-30", [{"indicator_id": "I1", "rule": "record_count", "actual": 40.0, "target": 100.0}]))
    assert f["projected"] == pytest.approx(40 * 365 / 181)
    assert f["will_miss"] and WILL_MISS in f["note"]
    # 184 days left = 6.045 months (184 / 30.4375); 60 still needed → 9.93 a month, rounded up: 10
    assert f["needed"] == 10 and f["needed_text"] == "每月还需 10 次"
    # the rest of the year adds 80.66 − 40 = 40.66 in 184 days; 60 more take 60 / 40.66 × 184 = 271.5 → 272
    # days after 30 June: 2026-03-29 (184 days to 31 December, then 31 + 28 + 29)
    assert f["met_by"] == pd.Timestamp("2026-03-29")


def test_ahead_of_pace_projects_past_the_target_and_the_day_it_is_reached():
    # 60 so far → 120.99 at the end; 40 more at 60.99 per 184 days: 120.7 → 121 days after 30 June = 29 October
    f = one(evaluation("2025-06-30", [{"indicator_id": "I1", "rule": "record_count", "actual": 60.0, "target": 100.0,
                                        "status": "进度正常"}]))
    assert f["projected"] == pytest.approx(60 * 365 / 181)
    assert not f["will_miss"]
    assert f["met_by"] == pd.Timestamp("2025-10-29")
    assert f["needed"] == 7  # 40 / 6.045 = 6.62 → 7


def test_a_met_target_needs_nothing():
    f = one(evaluation("2025-06-30", [{"indicator_id": "I1", "rule": "record_count", "actual": 120.0, "target": 100.0,
                                        "status": "达标"}]))
    assert not f["will_miss"] and f["needed"] == 0 and pd.isna(f["met_by"]) and f["note"].startswith("已达标")


def test_coverage_is_capped_at_100_and_needs_people():
    # 30 of a roster of 50 assessed by 30 June: 60%; at the pace 60 × 365 / 181 = 121% → 100%
    expl = pd.DataFrame({"project_code": "P1", "indicator_id": "C1", "counted": [True] * 30 + [False] * 20})
    f = one(evaluation("2025-06-30", [{"indicator_id": "C1", "rule": "coverage", "actual": 60.0, "target": 100.0,
                                        "unit": "%"}], expl))
    assert f["projected"] == 100.0 and not f["will_miss"]
    # 20 people still to assess over 6.045 months: 3.31 → 4 a month
    assert f["needed"] == 4 and f["needed_text"] == "每月还需 4 人"


def test_state_indicators_keep_todays_state_and_checklists_get_no_forecast():
    f = fc.forecast(PROJECTS, evaluation("2025-06-30", [
        {"indicator_id": "W", "rule": "staff", "actual": 1.0, "target": 2.0, "unit": "人"},
        {"indicator_id": "K", "rule": "checklist", "actual": 3.0, "target": 5.0, "unit": "项", "status": "待核验"}]))
    staff, check = f.iloc[0], f.iloc[1]
    assert staff["will_miss"] and staff["projected"] == 1.0 and staff["needed_text"] == "还需 1 人"
    assert not check["will_miss"] and math.isnan(check["projected"]) and "不作预测" in check["note"]


def test_an_ended_project_gets_no_forecast():
    assert fc.forecast(PROJECTS, evaluation("2026-01-15", [
        {"indicator_id": "I1", "rule": "record_count", "actual": 40.0, "target": 100.0}])).empty


# -- with the seasons of other stations' past year ----------------------------------------------------------

def reference(values=(0.4, 0.5, 0.6), stations=("S1", "S2", "S3")):
    shape = fc.shape_of(pd.Series([START]), pd.Series([END])).iloc[0]
    ratios = pd.DataFrame({"catalogue": "zhalainuoer-2026", "indicator_id": "I1", "shape": shape,
                           "station_code": list(stations), "value": list(values)})
    return fc.Reference(ratios, pd.DataFrame(columns=["catalogue", "indicator_id", "shape", "k", "station_code",
                                                      "value"]), "2024年同清单 3 个站点的项目")


def test_the_seasonal_share_leaves_the_station_itself_out():
    ev = evaluation("2025-06-30", [{"indicator_id": "I1", "rule": "record_count", "actual": 40.0, "target": 100.0}])
    # S1's own past share (0.4) is left out: the median of 0.5 and 0.6 is 0.55 → 40 / 0.55 = 72.73
    f = one(ev, reference=reference())
    assert f["method"] == "seasonal" and f["projected"] == pytest.approx(40 / 0.55)
    assert "计入季节规律" in f["note"] and "2024年同清单" in f["note"]
    # a station without a past project of its own: the median of all three, 0.5 → 80
    f = one(ev, reference=reference(stations=("S7", "S2", "S3")))
    assert f["projected"] == pytest.approx(80.0)


def test_loso_median_equals_the_median_without_the_station():
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 6, 7):
        values = pd.DataFrame({"g": "x", "station_code": [f"S{i}" for i in range(n)], "value": rng.random(n)})
        queries = pd.DataFrame({"g": "x", "station_code": [f"S{i}" for i in range(n + 1)]})
        got = fc.loso_median(values, queries, ["g"])
        for i, q in enumerate(queries["station_code"]):
            rest = values.loc[values["station_code"] != q, "value"]
            expected = rest.median() if len(rest) else np.nan
            assert (np.isnan(got[i]) and np.isnan(expected)) or got[i] == pytest.approx(expected)


# -- per-period indicators --------------------------------------------------------------------------------

def monthly(as_of, counts, target=2.0, shares_met=None):
    """A monthly count indicator: one row per month up to the current one, and its 全期 row."""
    rows = []
    for m, c in enumerate(counts, 1):
        end = pd.Timestamp(f"2025-{m:02d}-01") + pd.offsets.MonthEnd(0)
        ended = end <= pd.Timestamp(as_of)
        rows.append({"indicator_id": "M", "rule": "period_count", "period": f"2025-{m:02d}", "period_kind": "month",
                     "period_end": end, "actual": float(c), "target": target,
                     "status": "达标" if c >= target else ("未达标" if ended else "落后")})
    missed = sum(r["status"] == "未达标" for r in rows)
    rows.append({"indicator_id": "M", "rule": "period_count", "actual": float(len(counts) - missed), "target": 12.0,
                 "unit": "个月", "status": "落后" if missed else "进度正常"})
    return evaluation(as_of, rows)


def test_months_to_come_are_met_when_the_pace_makes_it_likely():
    # Jan–Sep: 26 in 9 months → 2.889 a month; P(X ≥ 2) = 1 − e^−2.889 × (1 + 2.889) = 0.7835 for Oct–Dec
    f = one(monthly("2025-09-30", [3, 3, 2, 3, 3, 3, 3, 3, 3]))
    assert f["projected"] == 12.0 and not f["will_miss"] and f["projected_missed"] is None
    assert f["needed_text"] == "每月还需 2 次"
    grid = fc.period_grid(monthly("2025-09-30", [3, 3, 2, 3, 3, 3, 3, 3, 3]).summary.assign(start=START, end=END),
                          monthly("2025-09-30", [3, 3, 2, 3, 3, 3, 3, 3, 3]).results.query("period != '全期'"),
                          pd.Timestamp("2025-09-30"))
    chance = fc.period_chances(grid, None)
    assert chance[-1] == pytest.approx(1 - math.exp(-26 / 9) * (1 + 26 / 9))


def test_the_current_month_is_projected_from_what_is_left_of_it():
    # 15 September: Jan–Aug 2 each (λ = 2), none yet in September, half of it gone: what is left brings
    # Poisson(1): P(X ≥ 2) = 1 − e^−1 × 2 = 0.264 → September is projected to be missed; Oct–Dec 0.594 each
    f = one(monthly("2025-09-15", [2] * 8 + [0]))
    assert f["projected_missed"] == "2025-09" and f["will_miss"]
    assert f["projected"] == 11.0  # 12 months, one projected missed
    assert f["missed_periods"] is None


def test_an_ended_month_missed_flags_the_indicator():
    f = one(monthly("2025-06-30", [2, 1, 2, 2, 2, 2]))
    assert f["will_miss"] and f["missed_periods"] == "2025-02"


def test_seasonal_factors_move_the_months_to_come():
    # past year: October at 0.25 of an ordinary month for every other station; base = 26 / 9 (factor 1 for
    # ended months) → October λ = 2.889 × 0.25 = 0.722: P(X ≥ 2) = 1 − e^−0.722 × 1.722 = 0.164 → missed
    shape = fc.shape_of(pd.Series([START]), pd.Series([END])).iloc[0]
    factors = pd.DataFrame({"catalogue": "zhalainuoer-2026", "indicator_id": "M", "shape": shape, "k": 9,
                            "station_code": ["S2", "S3", "S4"], "value": 0.25})
    ref = fc.Reference(pd.DataFrame(columns=["catalogue", "indicator_id", "shape", "station_code", "value"]), factors,
                       "2024年同清单 3 个站点的项目")
    f = one(monthly("2025-09-30", [3, 3, 2, 3, 3, 3, 3, 3, 3]), reference=ref)
    assert f["method"] == "seasonal" and f["projected_missed"] == "2025-10" and f["will_miss"]
