"""Rule kinds over rosters and the station: coverage, staff and certification, checklist items, optional tasks.

Each case is a small hand-built station; the expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest
from engine_builders import D, catalogue, dataset, indicator, person, project, reasons, row, run

COVER = indicator("coverage", "{population: beneficiaries, population_where: {category: 社会救助}, record: assessments}",
                  100)
HOME = indicator("coverage", "{population: beneficiaries, record: assessments, record_where: {method: 入户}}", 100,
                 id="HOME")


def _assess(code, date, method="入户"):
    return {"beneficiary_code": code, "date": D(date), "method": method}


@pytest.mark.parametrize("as_of, actual, status", [
    # roster on 06-30: B1, B2, B3 (B4 joins 08-01, B5 left 05-01; B6 is another category) → 3 people;
    # assessed in the period: B1 (03-01), B2 (06-01) → 2/3 = 66.7%; expected 100 × 181/365 = 49.6 → 进度正常
    ("2025-06-30", 200 / 3, "进度正常"),
    # on 2025-12-31: roster B1–B4 = 4 people, assessed B1, B2, B4 (09-01) → 75% < 100, year over → 未达标
    ("2025-12-31", 75.0, "未达标"),
])
def test_coverage_of_the_roster(as_of, actual, status):
    people = [person("B1"), person("B2", station="S1-V1"), person("B3"), person("B4", joined="2025-08-01"),
              person("B5", left="2025-05-01"), person("B6", category="困难老人")]
    assessments = [_assess("B1", "2025-03-01"), _assess("B2", "2025-06-01"), _assess("B4", "2025-09-01"),
                   _assess("B5", "2025-02-01"), _assess("B6", "2025-02-01")]
    ev = run(dataset(beneficiaries=people, assessments=assessments), as_of, catalogue(COVER))
    r = row(ev, "T1")
    assert r["actual"] == pytest.approx(actual)
    assert r["status"] == status


def test_home_assessment_needs_the_home_method():
    # B1 assessed at home, B2 by phone only → 1 of 2 = 50%; B2 explained as not counted
    people = [person("B1"), person("B2", category="困难老人")]
    ev = run(dataset(beneficiaries=people, assessments=[_assess("B1", "2025-02-01"),
                                                        _assess("B2", "2025-02-01", "电话")]),
             "2025-03-01", catalogue(HOME))
    assert row(ev, "HOME")["actual"] == 50
    assert reasons(ev, "HOME") == {"B1": (True, None), "B2": (False, "no_assessment")}


def test_coverage_of_an_empty_roster_is_not_started():
    ev = run(dataset(beneficiaries=[person("B6", category="困难老人")]), "2025-06-30", catalogue(COVER))
    assert (row(ev, "T1")["actual"], row(ev, "T1")["status"]) == (0, "未开始")


def test_volunteer_registration_coverage():
    # 3 volunteers, 2 registered in the national system → 66.7% < 100, mid-year expected 100 × 120/365 = 32.9 → 进度正常
    vols = [{"code": f"V{i}", "station_code": "S1", "name": "志愿者", "registered_on": D("2025-02-01"),
             "national_system": flag} for i, flag in enumerate((True, True, False), 1)]
    ev = run(dataset(volunteers=vols), "2025-04-30",
             catalogue(indicator("coverage", "{population: volunteers, flag: national_system}", 100)))
    assert row(ev, "T1")["actual"] == pytest.approx(200 / 3)
    assert row(ev, "T1")["status"] == "进度正常"
    assert reasons(ev, "T1")["V3"] == (False, "flag_not_set")


STAFF = indicator("staff", "{min_staff: {10万: 2, 20万: 3}}", "{10万: 1, 20万: 2}")


def _staff(code, cert, joined="2024-01-01", left=None, role="驻站社工"):
    return {"code": code, "name": "社工", "station_code": "S1", "certificate": cert, "role": role,
            "joined": D(joined), "left": D(left) if left else None}


@pytest.mark.parametrize("tier, staff, actual, status", [
    # 10万: 2 in post, 1 certified → ≥2 staff and ≥1 certified → 达标
    ("10万", [_staff("W1", "社会工作师"), _staff("W2", "无")], 1, "达标"),
    # 20万 needs 3 staff with 2 certified: 2 staff, 1 certified → 落后 (a state: expected = target)
    ("20万", [_staff("W1", "社会工作师"), _staff("W2", "无")], 1, "落后"),
    # 20万: 3 staff, 2 certified, but W3 left on 03-01 → 2 in post on 06-30 → not enough staff → 落后
    ("20万", [_staff("W1", "社会工作师"), _staff("W2", "助理社会工作师"), _staff("W3", "无", left="2025-03-01")], 2, "落后"),
    # 20万: 3 in post, 2 certified → 达标
    ("20万", [_staff("W1", "社会工作师"), _staff("W2", "助理社会工作师"), _staff("W3", "无")], 2, "达标"),
])
def test_staff_and_certification_by_tier(tier, staff, actual, status):
    ds = dataset(projects=[project(tier=tier)], staff=staff)
    ev = run(ds, "2025-06-30", catalogue(STAFF, tiers="[10万, 20万]"))
    assert (row(ev, "T1")["actual"], row(ev, "T1")["status"]) == (actual, status)


def test_staff_in_a_role():
    # a 站长 who joined after the evaluation date does not count yet
    ds = dataset(staff=[_staff("W1", "无", role="站长", joined="2025-08-01"), _staff("W2", "社会工作师")])
    cat = catalogue(indicator("staff", "{role: 站长}", 1))
    assert row(run(ds, "2025-06-30", cat), "T1")["status"] == "落后"
    assert row(run(ds, "2025-09-30", cat), "T1")["status"] == "达标"


CHECK = indicator("checklist", "{items: [人员管理制度, 财务管理制度, 组织架构图]}", 3)


def test_checklist_items_wait_for_a_person():
    items = [{"station_code": "S1", "item": "人员管理制度", "done": True, "done_date": D("2025-02-01")},
             {"station_code": "S1", "item": "财务管理制度", "done": False},
             {"station_code": "S1", "item": "志愿者管理制度", "done": True}]
    ev = run(dataset(checklist=items), "2025-12-31", catalogue(CHECK))
    # 1 of 3 ticked → 待核验 even after the year ended (never 未达标, never silently met); no points (rule 12)
    r = row(ev, "T1")
    assert (r["actual"], r["status"]) == (1, "待核验")
    assert "score" not in r and "points" not in r
    assert reasons(ev, "T1") == {"人员管理制度": (True, None), "财务管理制度": (False, "not_ticked"),
                                 "组织架构图": (False, "not_listed")}


def test_checklist_ticked_after_the_date_is_not_yet_done():
    items = [{"station_code": "S1", "item": f" {name} ", "done": True, "done_date": D(day)}
             for name, day in (("人员管理制度", "2025-01-05"), ("财务管理制度", "2025-01-05"), ("组织架构图", "2025-05-01"))]
    cat = catalogue(CHECK)
    assert row(run(dataset(checklist=items), "2025-03-01", cat), "T1")["status"] == "待核验"
    assert row(run(dataset(checklist=items), "2025-05-01", cat), "T1")["status"] == "达标"


TASKS = """\
optional_tasks:
  choose_at_least: 2
  tasks:
    - {id: O1, name: 社区治理, aliases: [提升社区治理水平]}
    - {id: O2, name: 志愿服务项目}
    - {id: O3, name: 留守妇女服务}
"""


@pytest.mark.parametrize("chosen, actual, status, evaluated", [
    # two tasks named by alias and by id → 2 ≥ 2 → 达标; only O1's own indicator and O2's are evaluated
    ("提升社区治理水平、O2", 2, "达标", {"CHOICE", "ONLY-O1", "ONLY-O2"}),
    # one task → 1 < 2 → 落后 (a state); O2's indicator is not evaluated
    ("社区治理", 1, "落后", {"CHOICE", "ONLY-O1"}),
    (None, 0, "落后", {"CHOICE"}),
])
def test_choose_at_least_k_optional_tasks(chosen, actual, status, evaluated):
    # short names of their own: the derived ones ("测试指标ONLY-O1" cut to 10 characters) would be the same,
    # which the catalogue check refuses (issue 30: two indicators of a chart must read differently)
    cat = catalogue(indicator("optional_choice", "{}", 2, id="CHOICE")
                    + indicator("checklist", "{items: [甲]}", 1, id="ONLY-O1", extra="task: O1\nshort: 任务一\n").replace(
                        "mandatory: true", "mandatory: false")
                    + indicator("checklist", "{items: [乙]}", 1, id="ONLY-O2", extra="task: O2\nshort: 任务二\n").replace(
                        "mandatory: true", "mandatory: false"), extra=TASKS)
    ev = run(dataset(projects=[project(tasks=chosen)]), dt.date(2025, 6, 30), cat)
    assert (row(ev, "CHOICE")["actual"], row(ev, "CHOICE")["status"]) == (actual, status)
    assert set(ev.summary["indicator_id"]) == evaluated
