"""Case and group lifecycles: stages, impossible histories, qualification, attention flags.

Every expected value is worked out by hand from the rows written in the test.
"""

from __future__ import annotations

import pytest
from builders import ALL_RECORDS, case_row, dataset, group_row, group_sessions, records, sessions

from sgzlib import lifecycle as lc
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
    problems = ds.problems()
    assert [p.code for p in problems] == [rule]
    assert "C1" in problems[0].message and fragment in problems[0].message
    with pytest.raises(DataError) as err:
        ds.validate()
    assert fragment in str(err.value)


def test_every_problem_of_a_batch_is_reported_at_once():
    ds = dataset([case_row("C1", closed="2025-01-05", close_reason="目标达成"),
                  case_row("C2", close_reason="转介", closed="2025-03-01")])
    # C1: closed before opened; C2: referral without destination → two problems, both named
    assert sorted((p.key[0], p.code) for p in ds.problems()) == [
        ("C1", "closed_before_opened"), ("C2", "referral_without_destination")]


@pytest.mark.parametrize("attendance, report, rule", [
    ((8, -1, 7), None, "negative_attendance"),
    ((8, 9, 7), "2025-03-10", "report_before_last_session"),  # last session is 03-15 (start 03-01 + 14 days)
])
def test_impossible_group_histories_are_refused(attendance, report, rule):
    ds = dataset(groups=[group_row(report=report)], group_sessions_=group_sessions(attendance=attendance))
    assert [p.code for p in ds.problems()] == [rule]


# -- qualification ------------------------------------------------------------------

def test_complete_case_with_five_sessions_qualifies():
    ds = dataset([case_row(assessed="2025-01-12", agreement="2025-01-14", planned="2025-01-14",
                           evaluated="2025-03-25", closed="2025-03-28", close_reason="目标达成")],
                 sessions(dates=FIVE), records())
    row = lc.case_overview(ds, "2025-04-30").iloc[0]
    assert (row["sessions"], row["qualifies"], row["why_not"], row["missing_records"]) == (5, True, "", ())


@pytest.mark.parametrize("n_sessions, kinds, no_record, why", [
    # 4 sessions < 5, records complete → only the session count
    (4, ALL_RECORDS, (), "仅 4 节服务，需 ≥5 节"),
    # 5 sessions, but 预估表 and 评估表 missing and session 3 without 过程记录表
    (5, ("接案记录表", "服务协议", "工作计划表", "结案表"), (3,),
     "文书不全：缺预估表、过程记录表（第3节）、评估表"),
    # both at once, joined by ；
    (3, ("接案记录表", "服务协议", "工作计划表", "预估表", "评估表"), (), "仅 3 节服务，需 ≥5 节；文书不全：缺结案表"),
])
def test_case_that_does_not_qualify_says_exactly_why(n_sessions, kinds, no_record, why):
    ds = dataset([case_row(evaluated="2025-03-25")], sessions(dates=FIVE[:n_sessions], no_record=no_record),
                 records(kinds=kinds))
    row = lc.case_overview(ds, "2025-04-30").iloc[0]
    assert not row["qualifies"]
    assert row["why_not"] == why


def test_sessions_without_photo_do_not_count_when_required():
    sess = sessions(dates=FIVE)
    sess[4]["photos"] = None  # the fifth session has no watermark photo
    ds = dataset([case_row(evaluated="2025-03-25", closed="2025-03-28", close_reason="目标达成")], sess, records())
    row = lc.case_overview(ds, "2025-04-30", lc.CaseRules(require_photo=True)).iloc[0]
    # 5 sessions, 4 with photos → 4 counted
    assert (row["sessions"], row["counted_sessions"]) == (5, 4)
    assert row["why_not"] == "仅 4 节服务，需 ≥5 节（另有 1 节无水印照片不计）"


@pytest.mark.parametrize("attendance, min_att, counted, short, qualifies", [
    # all six sessions ≥6 people → 6 count
    ((6, 7, 8, 9, 6, 10), 6, 6, (), True),
    # sessions 2 (4 people) and 5 (5 people) below 6 → 6 − 2 = 4 count < 5
    ((8, 4, 9, 7, 5, 6), 6, 4, ("第2节（签到 4 人<6）", "第5节（签到 5 人<6）"), False),
    # one short session of six still leaves 5 → qualifies, but the short session is listed
    ((8, 3, 9, 7, 6, 6), 6, 5, ("第2节（签到 3 人<6）",), True),
    # with no minimum attendance every session counts
    ((1, 2, 3, 4, 5), 0, 5, (), True),
])
def test_group_counts_only_sessions_with_enough_people(attendance, min_att, counted, short, qualifies):
    ds = dataset(groups=[group_row()], group_sessions_=group_sessions(attendance=attendance))
    row = lc.group_overview(ds, "2025-06-30", lc.GroupRules(min_attendance=min_att)).iloc[0]
    assert (row["counted_sessions"], row["short_sessions"], row["qualifies"]) == (counted, short, qualifies)


def test_group_failing_count_names_the_sessions_and_is_at_risk():
    ds = dataset(groups=[group_row()], group_sessions_=group_sessions(attendance=(8, 4, 9, 7, 5, 6)))
    row = lc.group_overview(ds, "2025-06-30", lc.GroupRules(min_attendance=6)).iloc[0]
    assert row["why_not"] == "有效节次 4 节，需 ≥5 节：第2节（签到 4 人<6）、第5节（签到 5 人<6）不计"
    assert row["at_risk"]


def test_group_records_missing_and_sign_in_rule():
    # no plan, session 2 without sign-in sheet, group reported (ended) on 04-20
    ds = dataset(groups=[group_row(plan=None, report="2025-04-20")],
                 group_sessions_=group_sessions(attendance=(8, 8, 8, 8, 8), sign_in=(True, False, True, True, True)))
    row = lc.group_overview(ds, "2025-06-30", lc.GroupRules(require_sign_in=True, require_records=True)).iloc[0]
    assert row["stage"] == "已结束"
    assert row["missing_records"] == ("小组服务计划书",)
    # 5 sessions − session 2 (no sign-in sheet) = 4 counted
    assert row["counted_sessions"] == 4
    assert row["why_not"] == "有效节次 4 节，需 ≥5 节：第2节（无签到表）不计；文书不全：缺小组服务计划书"


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
    from sgzlib import demo

    cases = lc.case_overview(demo_ds, demo.AS_OF).set_index("code")
    assert cases.loc[list(demo.PLANTED.stalled_cases), "stalled"].all()
    missing = cases.loc[list(demo.PLANTED.cases_missing_records), "missing_records"]
    assert all("预估表" in m and "评估表" in m for m in missing)
    groups = lc.group_overview(demo_ds, demo.AS_OF, lc.GroupRules(min_attendance=6)).set_index("code")
    assert (groups.loc[list(demo.PLANTED.short_groups), "short_sessions"].map(len) >= 2).all()
    assert not groups.loc[list(demo.PLANTED.short_groups), "qualifies"].any()
