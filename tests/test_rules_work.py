"""Rule kinds over casework and groupwork: qualified cases, qualified groups, success cases.

Each case is a small hand-built station; the expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest
from engine_builders import D, catalogue, dataset, indicator, person, project, reasons, row, run

ALL_RECORDS = ("接案记录表", "预估表", "服务协议", "工作计划表", "评估表", "结案表")


def case(code, opened="2025-02-01", closed=None, domain="社会救助", exemplary=False):
    return {"code": code, "station_code": "S1", "beneficiary_code": "B1", "domain": domain, "opened": D(opened),
            "closed": D(closed) if closed else None, "close_reason": "目标达成" if closed else None,
            "evaluated": D(closed) if closed else None, "exemplary": exemplary}


def sessions(code, n, start="2025-02-10", photo=True, same_photo=None):
    first = D(start)
    return [{"case_code": code, "seq": i, "date": first + dt.timedelta(days=7 * (i - 1)), "process_record": True,
             "photos": same_photo or (f"{code}-{i}.jpg" if photo else None)} for i in range(1, n + 1)]


def records(code, kinds=ALL_RECORDS, date="2025-05-01"):
    return [{"case_code": code, "kind": k, "date": D(date)} for k in kinds]


CASES = indicator("qualified_cases", "{domain: [社会救助], min_sessions: 5}", 2)
FULL_CASES = indicator("qualified_cases", "{min_sessions: 1, require_records: true}", 2, id="FULL")


def test_cases_need_five_sessions_with_photos():
    # C1: 5 sessions with photos → counts. C2: 5 sessions, one without photo → 4 → does not count.
    # C3: 6 sessions, all with the same photo file → only the first session's photo counts → 1 → no.
    # C4: 5 sessions but 养老服务 → another domain, not considered.
    ds = dataset(beneficiaries=[person("B1")],
                 cases=[case("C1"), case("C2"), case("C3"), case("C4", domain="养老服务")],
                 case_sessions=sessions("C1", 5) + sessions("C2", 4) + [
                     {"case_code": "C2", "seq": 5, "date": D("2025-04-01"), "process_record": True, "photos": None}]
                 + sessions("C3", 6, same_photo="same.jpg") + sessions("C4", 5))
    ev = run(ds, "2025-06-30", catalogue(CASES))
    # 1 qualified of 2; expected 2 × 181/365 = 0.99 → 1 ≥ 0.99 → 进度正常
    assert (row(ev, "T1")["actual"], row(ev, "T1")["status"]) == (1, "进度正常")
    assert reasons(ev, "T1") == {"C1": (True, None), "C2": (False, "too_few_sessions"),
                                 "C3": (False, "too_few_sessions")}


def test_cases_need_the_complete_record_set_where_asked():
    # C1 closed with all seven records (six documents + process records) → counts.
    # C2 closed but 评估表 missing → does not count; C3 still open (no 结案表) → does not count.
    ds = dataset(beneficiaries=[person("B1")],
                 cases=[case("C1", closed="2025-05-01"), case("C2", closed="2025-05-01"), case("C3")],
                 case_sessions=sessions("C1", 2) + sessions("C2", 2) + sessions("C3", 2),
                 case_records=records("C1") + records("C2", [k for k in ALL_RECORDS if k != "评估表"])
                 + records("C3", ALL_RECORDS[:4]))
    ev = run(ds, "2025-12-31", catalogue(FULL_CASES))
    # 1 < 2 at year end → 未达标
    assert (row(ev, "FULL")["actual"], row(ev, "FULL")["status"]) == (1, "未达标")
    why = ev.explain("P1", "FULL").set_index("record_id")
    assert why.loc["C2", "reason_code"] == "records_missing" and "评估表" in why.loc["C2", "reason"]
    assert "结案表" in why.loc["C3", "reason"]


def group(code, domain="社会救助", report="2025-06-01", exemplary=False):
    return {"code": code, "station_code": "S1", "domain": domain, "name": f"小组{code}", "plan_date": D("2025-02-20"),
            "report_date": D(report) if report else None, "exemplary": exemplary}


def gsessions(code, attendance, start="2025-03-01", sign_in=True, unit_plan=True):
    first = D(start)
    return [{"group_code": code, "seq": i, "date": first + dt.timedelta(days=7 * (i - 1)), "attendance": n,
             "unit_plan": unit_plan, "process_record": True, "sign_in": sign_in, "photos": f"{code}-{i}.jpg"}
            for i, n in enumerate(attendance, 1)]


GROUPS = indicator("qualified_groups", "{min_sessions: 5, min_attendance: 6}", 2)


@pytest.mark.parametrize("attendance, counted", [
    # five sessions of 6+ people → counts
    ((6, 8, 7, 9, 6), True),
    # seven sessions, three below 6 (4, 3, 5) → 4 valid sessions < 5 → does not count
    ((12, 4, 3, 13, 6, 12, 5), False),
    # six sessions, one below 6 → 5 valid → counts
    ((6, 6, 2, 6, 6, 6), True),
])
def test_groups_need_sessions_of_enough_people(attendance, counted):
    ds = dataset(groups=[group("G1")], group_sessions=gsessions("G1", attendance))
    ev = run(ds, "2025-07-31", catalogue(GROUPS))
    assert row(ev, "T1")["actual"] == (1 if counted else 0)
    assert reasons(ev, "T1")["G1"][0] is counted
    # the explanation lists each session's attendance, so short sessions are visible
    assert "各节签到人数：" + "、".join(map(str, attendance)) in ev.explain("P1", "T1")["reason"].iloc[0]


def test_groups_with_full_records_and_sign_in():
    cat = catalogue(indicator("qualified_groups", "{min_sessions: 5, require_records: true, require_sign_in: true}", 1))
    # G1: complete (plan, unit plans, process records, report) and signed in → counts.
    # G2: no evaluation report → does not count. G3: one session without a sign-in sheet → 4 valid → no.
    # G4 started in another station → not this project's.
    sess = gsessions("G1", (5,) * 5) + gsessions("G2", (5,) * 5) + gsessions("G3", (5,) * 4)
    sess += [{"group_code": "G3", "seq": 5, "date": D("2025-04-01"), "attendance": 7, "unit_plan": True,
              "process_record": True, "sign_in": False, "photos": "G3-5.jpg"}]
    ds = dataset(groups=[group("G1"), group("G2", report=None), group("G3"), {**group("G4"), "station_code": "S2"}],
                 group_sessions=sess + gsessions("G4", (5,) * 5),
                 projects=[project(), project("P2", "S2")])
    ev = run(ds, "2025-07-31", cat, projects=["P1"])
    assert row(ev, "T1")["actual"] == 1
    assert {k: v[0] for k, v in reasons(ev, "T1").items()} == {"G1": True, "G2": False, "G3": False}


def test_success_cases_need_a_finished_case_or_group():
    # C1 exemplary and closed → counts; C2 exemplary but open → no; G1 exemplary and reported → counts;
    # G2 exemplary, no report yet → no; C3 closed but not exemplary → not considered.
    ds = dataset(beneficiaries=[person("B1")],
                 cases=[case("C1", closed="2025-05-01", exemplary=True), case("C2", exemplary=True),
                        case("C3", closed="2025-05-01")],
                 case_sessions=sessions("C1", 2) + sessions("C2", 2) + sessions("C3", 2),
                 groups=[group("G1", exemplary=True), group("G2", report=None, exemplary=True)],
                 group_sessions=gsessions("G1", (8,) * 5) + gsessions("G2", (8,) * 5))
    ev = run(ds, "2025-06-30", catalogue(indicator("exemplary", "{domain: [社会救助]}", 1)))
    assert (row(ev, "T1")["actual"], row(ev, "T1")["status"]) == (2, "达标")
    assert reasons(ev, "T1") == {"C1": (True, None), "C2": (False, "not_finished"), "G1": (True, None),
                                 "G2": (False, "not_finished")}


# -- why a case or group does not count, word for word (moved here from the lifecycle: the engine decides) --

def why(ev, indicator, code, project_code="P1") -> str:
    e = ev.explain(project_code, indicator).set_index("record_id")
    return e.loc[code, "reason"]


STRICT_CASES = indicator("qualified_cases", "{min_sessions: 5, require_records: true}", 1, id="STRICT")
ALL_SEVEN = ("接案记录表", "预估表", "服务协议", "工作计划表", "评估表", "结案表")


@pytest.mark.parametrize("n_sessions, kinds, no_record, reason", [
    # 4 sessions < 5, records complete → only the session count
    (4, ALL_SEVEN, (), "仅 4 节服务，需 ≥5 节"),
    # 5 sessions, but 预估表 and 评估表 missing and session 3 without 过程记录表
    (5, ("接案记录表", "服务协议", "工作计划表", "结案表"), (3,), "文书不全：缺预估表、过程记录表（第3节）、评估表"),
    # both at once, joined by ；
    (3, ("接案记录表", "服务协议", "工作计划表", "预估表", "评估表"), (), "仅 3 节服务，需 ≥5 节；文书不全：缺结案表"),
])
def test_case_that_does_not_count_says_exactly_why(n_sessions, kinds, no_record, reason):
    sess = sessions("C1", n_sessions)
    for s in sess:
        s["process_record"] = s["seq"] not in no_record
    ds = dataset(beneficiaries=[person("B1")], cases=[case("C1", closed="2025-05-01")], case_sessions=sess,
                 case_records=records("C1", kinds))
    ev = run(ds, "2025-06-30", catalogue(STRICT_CASES))
    assert why(ev, "STRICT", "C1") == reason
    v = ev.work_verdicts("个案").set_index("code").loc["C1"]
    # the structured verdict says the same: sessions counted, how many more are needed, records missing
    assert (v["counted"], v["reason"], v["counted_sessions"], v["needed"]) == (
        False, reason, n_sessions, max(5 - n_sessions, 0))
    assert all(m in reason for m in v["missing_records"])


def test_sessions_without_photo_do_not_count_and_the_reason_says_how_many():
    sess = sessions("C1", 5)
    sess[4]["photos"] = None  # the fifth session has no watermark photo
    ds = dataset(beneficiaries=[person("B1")], cases=[case("C1", closed="2025-05-01")], case_sessions=sess,
                 case_records=records("C1"))
    ev = run(ds, "2025-06-30", catalogue(STRICT_CASES))
    # 5 sessions, 4 with photos → 4 counted
    assert why(ev, "STRICT", "C1") == "仅 4 节服务，需 ≥5 节（另有 1 节无水印照片不计）"
    # without photo_required every session counts and the case does
    ev = run(ds, "2025-06-30", catalogue(STRICT_CASES, photo=False))
    assert reasons(ev, "STRICT")["C1"] == (True, None)


@pytest.mark.parametrize("attendance, counted, short", [
    # sessions 2 (4 people) and 5 (5 people) below 6 → 6 − 2 = 4 count < 5
    ((8, 4, 9, 7, 5, 6), 4, ("第2节（签到 4 人<6）", "第5节（签到 5 人<6）")),
    # one short session of six still leaves 5 → counts, and the short session is still listed
    ((8, 3, 9, 7, 6, 6), 5, ("第2节（签到 3 人<6）",)),
])
def test_group_verdict_names_the_sessions_that_did_not_count(attendance, counted, short):
    ds = dataset(groups=[group("G1")], group_sessions=gsessions("G1", attendance))
    ev = run(ds, "2025-07-31", catalogue(GROUPS))
    v = ev.work_verdicts("小组").set_index("code").loc["G1"]
    assert (v["counted_sessions"], v["short_sessions"], v["counted"]) == (counted, short, counted >= 5)
    if counted < 5:
        assert why(ev, "T1", "G1") == ("有效节次 4 节，需 ≥5 节：第2节（签到 4 人<6）、第5节（签到 5 人<6）不计；"
                                       "各节签到人数：8、4、9、7、5、6")


def test_group_without_plan_and_sign_in_sheet():
    # no plan, session 2 without sign-in sheet, reported on 06-01: 5 − 1 = 4 counted
    sess = gsessions("G1", (8,) * 5)
    sess[1]["sign_in"] = False
    ds = dataset(groups=[{**group("G1"), "plan_date": None}], group_sessions=sess)
    cat = catalogue(indicator("qualified_groups", "{min_sessions: 5, require_records: true, require_sign_in: true}", 1))
    ev = run(ds, "2025-07-31", cat)
    assert why(ev, "T1", "G1") == ("有效节次 4 节，需 ≥5 节：第2节（无签到表）不计；文书不全：缺小组服务计划书；"
                                   "各节签到人数：8、8、8、8、8")
    v = ev.work_verdicts("小组").set_index("code").loc["G1"]
    assert (v["reason_code"], v["needed"], v["missing_records"]) == ("too_few_sessions", 1, ("小组服务计划书",))


def test_a_case_judged_by_two_indicators_counts_only_if_both_count_it():
    # T1 asks 5 sessions (社会救助), FULL asks the complete record set: C1 has 5 sessions and no records →
    # T1 counts it, FULL does not → one verdict: not counted, with the reason of FULL, the indicator that refused it
    ds = dataset(beneficiaries=[person("B1")], cases=[case("C1")], case_sessions=sessions("C1", 5))
    ev = run(ds, "2025-06-30", catalogue(CASES + FULL_CASES))
    v = ev.work_verdicts("个案").set_index("code").loc["C1"]
    assert (v["counted"], v["indicator_ids"]) == (False, "FULL")
    assert v["reason"] == why(ev, "FULL", "C1")
