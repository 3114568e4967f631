"""Cross-sheet date rules (sgzlib.domain.checks) on small hand-built datasets."""

from __future__ import annotations

import pandas as pd
import pytest

from sgzlib.domain import checks
from sgzlib.domain.dataset import Dataset

STATIONS = [{"code": "T1", "name": "甲街道站", "level": "乡镇街道站", "district": "测试区"},
            {"code": "T1-V1", "name": "幸福社区室", "level": "村社区室", "parent_code": "T1", "district": "测试区"},
            {"code": "T2", "name": "乙镇站", "level": "乡镇街道站", "district": "测试区"}]
# T1 has two projects with a gap between them (2025-07-01..2025-07-31 is covered by neither); T2 has none
PROJECTS = [{"code": "P1", "station_code": "T1", "year": 2025, "start": "2025-01-01", "end": "2025-06-30",
             "budget": 1.0, "catalogue": "x"},
            {"code": "P2", "station_code": "T1", "year": 2025, "start": "2025-08-01", "end": "2026-07-31",
             "budget": 1.0, "catalogue": "x"}]
PEOPLE = [{"code": "B1", "name": "甲", "station_code": "T1", "category": "其他", "joined": "2025-03-01"}]


def ds(**frames) -> Dataset:
    base = {"stations": STATIONS, "projects": PROJECTS, "beneficiaries": PEOPLE}
    base.update(frames)
    return Dataset({k: pd.DataFrame(v) for k, v in base.items()})


def service(code, station, date, people=None):
    return {"code": code, "station_code": station, "date": date, "domain": "社会救助", "category": "其他",
            "beneficiary_codes": people}


@pytest.mark.parametrize("station, date, bad", [
    ("T1", "2025-06-30", False),  # last day of P1
    ("T1", "2025-07-15", True),  # in the gap
    ("T1", "2026-07-31", False),  # last day of P2
    ("T1", "2024-12-31", True),  # before P1
    ("T1-V1", "2025-07-15", True),  # a village room works under its township's projects
    ("T1-V1", "2025-05-01", False),
    ("T2", "2030-01-01", False),  # no project anywhere above T2: not checked
])
def test_work_must_fall_in_a_project_period(station, date, bad):
    problems = checks.project_period_problems(ds(services=[service("S1", station, date)]))
    assert [(p.where, p.column, p.value, p.key, p.code) for p in problems] == \
        ([("服务记录", "服务日期", date, ("S1",), "outside_project_period")] if bad else [])


def test_period_message_lists_the_periods():
    (problem,) = checks.project_period_problems(ds(services=[service("S1", "T1", "2025-07-15")]))
    assert problem.message == "日期 2025-07-15 不在站点 T1 的项目周期（2025-01-01 至 2025-06-30、2025-08-01 至 2026-07-31）内"


def test_group_sessions_reach_their_station_through_the_group():
    groups = [{"code": "G1", "station_code": "T1", "domain": "社会救助", "name": "小组"}]
    sessions = [{"group_code": "G1", "seq": 1, "date": "2025-07-10", "attendance": 6},
                {"group_code": "G1", "seq": 2, "date": "2025-08-10", "attendance": 6}]
    problems = checks.project_period_problems(ds(groups=groups, group_sessions=sessions))
    assert [(p.where, p.key) for p in problems] == [("小组活动", ("G1", 1))]


def test_records_about_a_person_cannot_precede_joining():
    # B1 joined 2025-03-01
    data = ds(services=[service("S1", "T1", "2025-02-28", "B1"), service("S2", "T1", "2025-03-01", "B1")],
              cases=[{"code": "C1", "station_code": "T1", "beneficiary_code": "B1", "domain": "社会救助",
                      "opened": "2025-02-01"}],
              assessments=[{"beneficiary_code": "B1", "date": "2025-02-15", "method": "入户"}],
              measurements=[{"beneficiary_code": "B1", "scale": "SSRS", "phase": "前测", "date": "2025-02-01",
                             "score": 30}])
    problems = checks.before_joined_problems(data)
    # the assessment before joining is allowed (it is how people are taken in)
    assert [(p.where, p.column, p.key) for p in problems] == [
        ("服务记录", "服务日期", ("S1",)), ("个案", "接案日期", ("C1",)),
        ("前后测", "测评日期", ("B1", "SSRS", "前测", pd.Timestamp("2025-02-01")))]
    assert problems[0].message == "日期 2025-02-28 早于服务对象 B1 的纳入日期（2025-03-01）"


def test_a_rows_own_dates_must_be_in_order():
    data = ds(projects=[dict(PROJECTS[0], end="2024-12-31")],
              staff=[{"code": "W1", "name": "王", "station_code": "T1", "certificate": "无", "joined": "2025-03-01",
                      "left": "2025-02-01"}])
    problems = checks.date_order_problems(data)
    assert [(p.where, p.column, p.value, p.key) for p in problems] == [
        ("项目", "结束日期", "2024-12-31", ("P1",)), ("驻站人员", "离职日期", "2025-02-01", ("W1",))]


def test_the_demo_district_passes_every_rule(demo_ds):
    assert checks.data_problems(demo_ds) == []
