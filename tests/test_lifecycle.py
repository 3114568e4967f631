"""Case and group lifecycles: stages, impossible histories, records missing, attention flags.

Every expected value is worked out by hand from the rows written in the test.
"""

from __future__ import annotations

import pytest
from builders import case_row, dataset, group_row, group_sessions, records, sessions

from sgzlib.domain import lifecycle as lc
from sgzlib.domain.validation import problems, validate
from sgzlib.errors import DataError

FIVE = ("2025-01-20", "2025-02-05", "2025-02-20", "2025-03-05", "2025-03-20")


# -- stages -----------------------------------------------------------------

@pytest.mark.parametrize("case, sess, recs, as_of, stage", [
    # only opened → 接案
    (case_row(), [], [], "2025-01-15", "接案"),
    # 预估表 completed on 01-12 stands in for a blank 预估日期 → 预估
    (case_row(), [], records(kinds=("接案记录表",)) + [{"case_code": "C1", "kind": "预估表", "date": "2025-01-12"}],
     "2025-01-15", "预估"),
    # agreement dated → 计划
    (case_row(assessed="2025-01-12", agreement="2025-01-14"), [], [], "2025-01-15", "计划"),
    # a session on 01-20 → 介入 on 01-31, but still 计划 on 01-19 (the session is after the as-of date)
    (case_row(assessed="2025-01-12", agreement="2025-01-14"), sessions(dates=FIVE[:1]), [], "2025-01-31", "介入"),
    (case_row(assessed="2025-01-12", agreement="2025-01-14"), sessions(dates=FIVE[:1]), [], "2025-01-19", "计划"),
    # evaluated after the fifth session → 评估
    (case_row(evaluated="2025-03-25"), sessions(dates=FIVE), [], "2025-03-26", "评估"),
    # closed → 结案; closed by referral → 转介结案
    (case_row(evaluated="2025-03-25", closed="2025-03-28", close_reason="目标达成"), sessions(dates=FIVE), [],
     "2025-04-01", "结案"),
    (case_row(evaluated="2025-03-25", closed="2025-03-28", close_reason="转介", referral_to="区残联"),
     sessions(dates=FIVE), [], "2025-04-01", "转介结案"),
])
def test_stage_is_derived_from_dated_records(case, sess, recs, as_of, stage):
    ds = dataset([case], sess, [{**r, "date": __import__("datetime").date.fromisoformat(str(r["date"]))}
                                for r in recs])
    ov = lc.case_overview(ds, as_of)
    assert ov.set_index("code").at["C1", "stage"] == stage


# -- impossible histories ------------------------------------------------------

@pytest.mark.parametrize("case, sess, recs, rule, fragment", [
    (case_row(closed="2025-01-05", close_reason="目标达成"), [], [], "closed_before_opened",
     "结案日期（2025-01-05）早于接案日期（2025-01-10）"),
    (case_row(assessed="2025-01-02"), [], [], "milestone_before_opened", "预估日期（2025-01-02）早于接案日期"),
    (case_row(), sessions(dates=("2025-01-03",)), [], "session_before_opened", "第1节（2025-01-03）早于接案日期"),
    (case_row(evaluated="2025-03-25", closed="2025-03-28", close_reason="目标达成"),
     sessions(dates=FIVE + ("2025-04-02",)), [], "session_after_closed", "第6节（2025-04-02）在结案（2025-03-28）之后"),
    (case_row(evaluated="2025-01-15"), sessions(dates=FIVE), [], "evaluated_before_intervention",
     "评估日期（2025-01-15）之前没有任何介入服务节次"),
    (case_row(evaluated="2025-03-25", closed="2025-03-28", close_reason="转介"), sessions(dates=FIVE), [],
     "referral_without_destination", "结案原因为转介，但没有填写转介去向"),
    (case_row(close_reason="目标达成"), [], [], "reason_without_closure", "填写了结案原因，但没有结案日期"),
    (case_row(evaluated="2025-03-30", closed="2025-03-28", close_reason="目标达成"), sessions(dates=FIVE), [],
     "evaluated_after_closed", "评估日期（2025-03-30）晚于结案日期"),
    # session 2 dated before session 1
    (case_row(), sessions(dates=("2025-02-01", "2025-01-25")), [], "session_order", "第2节的日期（2025-01-25）早于前面的节次"),
    (case_row(), [], records(kinds=("预估表",), date="2025-01-01"), "record_before_opened", "预估表完成日期（2025-01-01）早于接案日期"),
])
def test_impossible_case_histories_are_refused(case, sess, recs, rule, fragment):
    ds = dataset([case], sess, recs)
    found = problems(ds)
    assert [p.code for p in found] == [rule]
    assert "C1" in found[0].message and fragment in found[0].message
    with pytest.raises(DataError) as err:
        validate(ds)
    assert fragment in str(err.value)


def test_every_problem_of_a_batch_is_reported_at_once():
    ds = dataset([case_row("C1", closed="2025-01-05", close_reason="目标达成"),
                  case_row("C2", close_reason="转介", closed="2025-03-01")])
    # C1: closed before opened; C2: referral without destination → two problems, both named
    assert sorted((p.key[0], p.code) for p in problems(ds)) == [
        ("C1", "closed_before_opened"), ("C2", "referral_without_destination")]


@pytest.mark.parametrize("attendance, report, rule", [
    ((8, -1, 7), None, "negative_attendance"),
    ((8, 9, 7), "2025-03-10", "report_before_last_session"),  # last session is 03-15 (start 03-01 + 14 days)
])
def test_impossible_group_histories_are_refused(attendance, report, rule):
    ds = dataset(groups=[group_row(report=report)], group_sessions_=group_sessions(attendance=attendance))
    assert [p.code for p in problems(ds)] == [rule]


# -- records missing (whether a case or group counts is the engine's: tests/test_rules_work.py) ------------

def test_complete_closed_case_lacks_nothing():
    ds = dataset([case_row(assessed="2025-01-12", agreement="2025-01-14", planned="2025-01-14",
                           evaluated="2025-03-25", closed="2025-03-28", close_reason="目标达成")],
                 sessions(dates=FIVE), records())
    row = lc.case_overview(ds, "2025-04-30").iloc[0]
    assert (row["sessions"], row["missing_records"], row["absent_records"]) == (5, (), ())
    assert "qualifies" not in row and "why_not" not in row  # counting is not the lifecycle's


def test_absent_records_name_the_whole_set_missing_records_only_what_the_stage_needs():
    # in 介入 with 接案记录表, 预估表, 服务协议, 工作计划表 and three sessions (session 3 without 过程记录表):
    # due by the stage → 过程记录表（第3节）; absent from the complete set → that and 评估表, 结案表
    ds = dataset([case_row(assessed="2025-01-12")], sessions(dates=FIVE[:3], no_record=(3,)),
                 records(kinds=("接案记录表", "预估表", "服务协议", "工作计划表")))
    row = lc.case_overview(ds, "2025-03-01").iloc[0]
    assert row["stage"] == "介入"
    assert row["missing_records"] == ("过程记录表（第3节）",)
    assert row["absent_records"] == ("过程记录表（第3节）", "评估表", "结案表")


def test_group_records_missing_and_absent():
    # no plan, session 2 without 单元计划书, not reported yet: due now → plan and unit plan of session 2;
    # absent → those and 评估总结报告
    sess = group_sessions(attendance=(8, 8, 8))
    sess[1]["unit_plan"] = False
    ds = dataset(groups=[group_row(plan=None)], group_sessions_=sess)
    row = lc.group_overview(ds, "2025-03-20").iloc[0]
    assert (row["stage"], row["sessions"]) == ("开展中", 3)
    assert row["missing_records"] == ("小组服务计划书", "单元计划书（第2节）")
    assert row["absent_records"] == ("小组服务计划书", "单元计划书（第2节）", "评估总结报告")
    # last session 03-15 (03-01 + 14 days) → 5 idle days on 03-20, not stalled; 31 days on 04-15 → stalled
    assert (row["days_idle"], row["stalled"]) == (5, False)
    assert lc.group_overview(ds, "2025-04-15").iloc[0]["stalled"]


# -- attention flags -------------------------------------------------------------------

@pytest.mark.parametrize("as_of, idle, stalled", [
    ("2025-02-25", 5, False),   # last session 02-20 → 5 idle days
    ("2025-03-22", 30, False),  # exactly 30 days is not yet stalled (rule: more than N days)
    ("2025-03-23", 31, True),
])
def test_open_case_is_stalled_after_n_days_without_a_session(as_of, idle, stalled):
    ds = dataset([case_row(assessed="2025-01-12")], sessions(dates=FIVE[:3]))
    row = lc.case_overview(ds, as_of).iloc[0]
    assert (row["days_idle"], row["stalled"]) == (idle, stalled)


def test_stalled_days_are_configurable_and_closed_cases_never_stall():
    ds = dataset([case_row("C1"), case_row("C2", evaluated="2025-03-25", closed="2025-03-28", close_reason="目标达成")],
                 sessions("C1", FIVE[:3]) + sessions("C2", FIVE))
    ov = lc.case_overview(ds, "2025-03-10", lc.CaseRules(stalled_days=14)).set_index("code")
    # C1: last session 02-20, 18 idle days > 14 → stalled; C2 closed (as of 03-10 it was still open: 03-05 is 5 days)
    assert ov.at["C1", "stalled"] and not ov.at["C2", "stalled"]
    ov = lc.case_overview(ds, "2025-12-31", lc.CaseRules(stalled_days=14)).set_index("code")
    assert not ov.at["C2", "stalled"] and ov.at["C2", "stage"] == "结案"


def test_open_too_long():
    ds = dataset([case_row()], sessions(dates=FIVE))
    # opened 01-10; on 07-10 open 181 days > 180
    row = lc.case_overview(ds, "2025-07-10").iloc[0]
    assert (row["open_days"], row["open_too_long"]) == (181, True)
    assert not lc.case_overview(ds, "2025-07-09").iloc[0]["open_too_long"]  # 180 days


def test_missing_records_follow_the_stage_reached():
    # in 介入: expected 接案记录表, 预估表, 服务协议, 工作计划表, 过程记录表 — 预估表 missing, session 2 without record
    ds = dataset([case_row(assessed="2025-01-12", agreement="2025-01-14")], sessions(dates=FIVE[:2], no_record=(2,)),
                 records(kinds=("接案记录表", "服务协议", "工作计划表")))
    row = lc.case_overview(ds, "2025-02-10").iloc[0]
    assert row["stage"] == "介入"
    assert row["missing_records"] == ("预估表", "过程记录表（第2节）")


def test_demo_district_contains_the_planted_lifecycle_problems(demo_ds):
    from sgzlib.demo import district as demo

    cases = lc.case_overview(demo_ds, demo.AS_OF).set_index("code")
    assert cases.loc[list(demo.PLANTED.stalled_cases), "stalled"].all()
    missing = cases.loc[list(demo.PLANTED.cases_missing_records), "missing_records"]
    assert all("预估表" in m and "评估表" in m for m in missing)
