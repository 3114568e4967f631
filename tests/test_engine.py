"""The evaluation as a whole: the result contract, statuses over time, rollups, errors, and the demo district."""

from __future__ import annotations

import pandas as pd
import pytest
from engine_builders import catalogue, dataset, indicator, project, row, run, service

from sgzlib.demo import district as demo
from sgzlib.domain.dataset import Dataset
from sgzlib.errors import DataError
from sgzlib.indicators import RESULT_COLUMNS, STATUS_ORDER, evaluate


@pytest.fixture(scope="module")
def demo_eval(demo_ds):
    return evaluate(demo_ds, demo.AS_OF)


def test_result_contract(demo_eval):
    ev = demo_eval
    assert list(ev.results.columns) == RESULT_COLUMNS
    assert list(ev.explanations.columns) == ["project_code", "indicator_id", "period", "record_table", "record_id",
                                             "counted", "reason_code", "reason"]
    # exactly one 全期 row per project and indicator; per-period rows only for month/quarter rules
    whole = ev.results[ev.results["period"] == "全期"]
    assert not whole.duplicated(["project_code", "indicator_id"]).any()
    assert len(ev.summary) == len(whole)
    periods = ev.results[ev.results["period"] != "全期"]
    assert set(periods["period_kind"]) == {"month", "quarter"}
    # on 2025-10-31 Jan–Oct have started: 10 month rows per monthly indicator, Q1–Q4 for quarterly ones
    assert periods[periods["period_kind"] == "month"].groupby(["project_code", "indicator_id"]).size().eq(10).all()
    assert periods[periods["period_kind"] == "quarter"].groupby(["project_code", "indicator_id"]).size().eq(4).all()
    assert set(ev.results["status"]) <= set(STATUS_ORDER)
    assert ev.results["mandatory"].dtype == bool and ev.results["note"].str.len().gt(0).all()


def test_demo_behind_station_and_rollups(demo_ds, demo_eval):
    by_station = demo_eval.rollup(demo_ds, "station").set_index("code")
    # YL04 and YL03 share a catalogue; YL04 is behind on more indicators and fewer are met or on track
    # (jiuyuan counted per task, both have 6 of 37 达标; YL03 has 9 进度正常 to YL04's 3)
    assert by_station.loc["YL04", "落后"] > by_station.loc["YL03", "落后"]
    fine = by_station["达标"] + by_station["进度正常"]
    assert fine["YL04"] < fine["YL03"]
    assert "score" not in by_station and "points" not in by_station
    # counts add up to the indicators of each station
    assert (by_station[list(STATUS_ORDER)].sum(axis=1) == by_station["indicators"]).all()
    county = demo_eval.rollup(demo_ds, "county")
    district = demo_eval.rollup(demo_ds, "district")
    # one county hub (YL00) and one district (云岭区) holding all seven stations and every indicator
    assert county[["code", "stations", "indicators"]].values.tolist() == [["YL00", 7, len(demo_eval.summary)]]
    assert district[["code", "stations"]].values.tolist() == [["云岭区", 7]]
    # the district's share met is its stations' met indicators over all of their indicators
    assert district["share_met"].iloc[0] == pytest.approx(by_station["达标"].sum() / by_station["indicators"].sum())


def test_demo_explanations_name_the_planted_problems(demo_eval):
    reused = demo_eval.explain("P2025-YL02", "ZL-CH-02")
    refused = reused[reused["reason_code"] == "reused_photo"]
    # the planted photo is shared by S0040 and S0041; S0041 is dated earlier, so S0040 is the one refused
    assert refused["record_id"].tolist() == ["YL02-S0040"]
    assert demo.PLANTED.reused_photo in refused["reason"].iloc[0]
    groups = demo_eval.explain("P2025-YL01", "ZL-SA-07").set_index("record_id")
    assert not groups.loc["YL01-G02", "counted"]
    assert "签到 4 人<6" in groups.loc["YL01-G02", "reason"]


def test_whole_district_equals_project_by_project(demo_ds, demo_eval):
    """Evaluating all projects at once gives the same rows as evaluating each project alone."""
    alone = pd.concat([evaluate(demo_ds, demo.AS_OF, projects=[p]).results for p in demo_ds.projects["code"]],
                      ignore_index=True)
    key = ["project_code", "indicator_id", "period"]
    together = demo_eval.results.sort_values(key).reset_index(drop=True)
    alone = alone.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(together, alone, check_dtype=False)


def test_for_station_and_for_project(demo_eval):
    one = demo_eval.for_station("YL05")
    assert set(one.results["project_code"]) == {"P2025-YL05"} == set(one.explanations["project_code"])
    assert len(demo_eval.for_project("P2025-YL05").summary) == len(one.summary)


RL = indicator("period_count", "{category: [资源链接]}", 1, "month", id="RL") + \
    indicator("record_count", "{category: [资源链接]}", 6, id="TOTAL") + \
    indicator("checklist", "{items: [人员管理制度]}", 1, id="CHECK")


@pytest.mark.parametrize("as_of, rl, total, check", [
    # before the project starts: nothing expected yet → 未开始; checklist items always wait for a person
    ("2024-12-20", "未开始", "未开始", "待核验"),
    # 03-31: Jan and Feb have one service each, March none → March missed → 落后; 2 of 6 total, expected
    # 6 × 90/365 = 1.48 → 进度正常
    ("2025-03-31", "落后", "进度正常", "待核验"),
    # after the year: 2 of 12 months, 2 of 6 services → both 未达标
    ("2026-02-01", "未达标", "未达标", "待核验"),
])
def test_status_over_time(as_of, rl, total, check):
    ds = dataset(services=[service("A", "2025-01-10"), service("B", "2025-02-10")])
    ev = run(ds, as_of, catalogue(RL))
    assert (row(ev, "RL")["status"], row(ev, "TOTAL")["status"], row(ev, "CHECK")["status"]) == (rl, total, check)


def test_unknown_catalogue_tier_and_task_are_reported_together():
    ds = dataset(projects=[project("P1", catalogue="no-such-list"),
                           project("P2", "S2", catalogue="civil-affairs-2024", tier="30万"),
                           {**project("P3", "S1", catalogue="jiuyuan-2024", tasks="O3、飞行表演"), "year": 2026,
                            "start": pd.Timestamp("2026-01-01"), "end": pd.Timestamp("2026-12-31")}])
    with pytest.raises(DataError) as err:
        evaluate(ds, "2025-06-30")
    columns = sorted((p.key[0], p.column) for p in err.value.problems)
    assert columns == [("P1", "指标清单"), ("P2", "档位"), ("P3", "自选任务")]
    assert "飞行表演" in str(err.value) and "10万、20万" in str(err.value)


def test_a_project_on_a_village_room_is_refused():
    ds = Dataset({**dataset().frames, "projects": pd.DataFrame([project(station="S1-V1", catalogue="jiuyuan-2024")])})
    with pytest.raises(DataError, match="乡镇街道站"):
        evaluate(ds, "2025-06-30")


def test_joined_per_row_keeps_row_order_within_each_key():
    from sgzlib.indicators.engine import _joined_per_row

    out = pd.DataFrame({"_k": [0, 0, 1], "project_code": ["P1", "P2", "P1"]})
    rows = pd.DataFrame({"_k": [1, 0, 1, 0, 2], "project_code": ["P1", "P1", "P1", "P1", "P1"]})
    joined = _joined_per_row(out, rows, ["_k", "project_code"], ["3月", "1月", "1月", "2月", "9月"])
    assert joined.tolist() == ["1月、2月", None, "3月、1月"]  # (2, P1) is not an out row: left out
