"""A hand-built station for the case, group and caseload analyses, every figure worked out in the tests."""

from __future__ import annotations

from builders import PERSON, D, case_row, dataset, group_row, group_sessions, sessions

AS_OF = D("2025-06-30")
STAFF = [{"code": "W1", "name": "王小明", "station_code": "S1", "role": "驻站社工", "certificate": "社会工作师"},
         {"code": "W2", "name": "李四", "station_code": "S1", "role": "站长", "certificate": "助理社会工作师"}]
PEOPLE = [PERSON] + [{**PERSON, "code": f"B{i}", "name": f"赵{i}号"} for i in (2, 3, 4)]


def case(code, worker, domain="社会救助", beneficiary="B1", **dates) -> dict:
    return {**case_row(code, **dates), "worker_code": worker, "domain": domain, "beneficiary_code": beneficiary}


def analysis_station():
    """Six cases, two groups, two workers at station S1.

    社会救助 (worker W1): C1 B1 opened 01-10, 预估 01-15, 计划 01-20, first session 01-25, 评估 02-20,
    closed 02-24 (目标达成, 45 days); C2 B2 opened 01-10 closed 03-11 (转介 → 区残联, 60 days); C3 B3
    opened 02-01 closed 05-02 (目标达成, 90 days); C4 B4 opened 03-01, still open, sessions 03-05,
    06-10, 06-20. 养老服务 (worker W2): C5 B1 opened 01-10 closed 01-30 (目标达成, 20 days); C6 B1
    opened 04-01 (reopened after C5), one session 04-05, still open. Groups: G1 (W2) weekly from 06-02,
    attendance 10, 8, 8, 6, 4, no report; G2 (W1) weekly from 03-01, 8 each time, report 04-15.
    No case records (个案文书) at all.
    """
    cases = [
        case("C1", "W1", assessed="2025-01-15", planned="2025-01-20", evaluated="2025-02-20", closed="2025-02-24",
             close_reason="目标达成"),
        case("C2", "W1", beneficiary="B2", closed="2025-03-11", close_reason="转介", referral_to="区残联"),
        case("C3", "W1", beneficiary="B3", opened="2025-02-01", closed="2025-05-02", close_reason="目标达成"),
        case("C4", "W1", beneficiary="B4", opened="2025-03-01"),
        case("C5", "W2", domain="养老服务", closed="2025-01-30", close_reason="目标达成"),
        case("C6", "W2", domain="养老服务", opened="2025-04-01"),
    ]
    case_sessions = (sessions("C1", ["2025-01-25"]) + sessions("C4", ["2025-03-05", "2025-06-10", "2025-06-20"])
                     + sessions("C6", ["2025-04-05"]))
    groups = [{**group_row("G1", plan="2025-05-20"), "leader_code": "W2"},
              {**group_row("G2", plan="2025-02-20", report="2025-04-15"), "leader_code": "W1", "name": "亲子小组"}]
    group_sessions_ = (group_sessions("G1", (10, 8, 8, 6, 4), start="2025-06-02")
                       + group_sessions("G2", (8, 8, 8, 8, 8), start="2025-03-01"))
    return dataset(cases, case_sessions, (), groups, group_sessions_, staff=STAFF, beneficiaries=PEOPLE)
