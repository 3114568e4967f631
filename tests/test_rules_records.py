"""Rule kinds over dated records: per period counts, whole-period counts, sums, per-occasion minimums, follow-ups.

Each case is a small hand-built station; the expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import pytest
from engine_builders import catalogue, dataset, indicator, person, reasons, row, run, service

MONTHLY_RL = indicator("period_count", "{domain: [社会救助], category: [资源链接]}", 2, "month")


@pytest.mark.parametrize("services, as_of, month, actual, status", [
    # March has 2 resource-linking services, both with their own photo → 2 ≥ 2, March ended → 达标
    ([("A", "2025-03-03", "auto"), ("B", "2025-03-20", "auto")], "2025-04-10", "2025-03", 2, "达标"),
    # the second one has no photo → March has 1 valid service → March missed
    ([("A", "2025-03-03", "auto"), ("B", "2025-03-20", None)], "2025-04-10", "2025-03", 1, "未达标"),
    # both use the same photo file → counted once → 1 → missed
    ([("A", "2025-03-03", "x.jpg"), ("B", "2025-03-20", "x.jpg")], "2025-04-10", "2025-03", 1, "未达标"),
    # April is current on 04-10 (10/30 of the month gone): expected 2×10/30 = 0.67; 1 valid ≥ 0.67 → 进度正常
    ([("A", "2025-04-03", "auto")], "2025-04-10", "2025-04", 1, "进度正常"),
    # nothing yet in April on 04-10: 0 < 0.67 → 落后
    ([], "2025-04-10", "2025-04", 0, "落后"),
])
def test_period_count_each_month(services, as_of, month, actual, status):
    ds = dataset(services=[service(c, d, photo=p) for c, d, p in services])
    ev = run(ds, as_of, catalogue(MONTHLY_RL))
    r = row(ev, "T1", month)
    assert (r["actual"], r["status"]) == (actual, status)


def test_period_count_summary_and_reasons():
    # Jan: A, B valid → met. Feb: C no photo, D reuses A's photo → 0 valid → missed. Mar: E, F (village room) → met.
    # On 2025-03-31 three months have ended, two met: actual 2 of 12 periods, expected 3 → one missed → 落后.
    ds = dataset(services=[service("A", "2025-01-02", photo="a.jpg"), service("B", "2025-01-09"),
                           service("C", "2025-02-02", photo=None), service("D", "2025-02-10", photo="a.jpg"),
                           service("E", "2025-03-02"), service("F", "2025-03-05", station="S1-V1"),
                           service("G", "2025-03-07", category="关爱帮扶")])
    ev = run(ds, "2025-03-31", catalogue(MONTHLY_RL))
    summary = row(ev, "T1")
    assert (summary["actual"], summary["target"], summary["expected"], summary["status"]) == (2, 12, 3, "落后")
    assert "2025-02（0）" in summary["note"]
    # G is 关爱帮扶: not considered at all; C and D explained with their reason codes
    assert reasons(ev, "T1") == {"A": (True, None), "B": (True, None), "E": (True, None), "F": (True, None),
                                 "C": (False, "no_photo"), "D": (False, "reused_photo")}


def test_period_count_year_end_missed_and_met():
    # Quarterly ≥1 aid: Q1 (02-01) and Q2 (05-01) have aid, Q3 and Q4 none; on 2026-01-05 the project has ended.
    aid = [{"code": "X1", "station_code": "S1", "date": "2025-02-01", "amount": 500.0},
           {"code": "X2", "station_code": "S1", "date": "2025-05-01", "amount": 800.0}]
    cat = catalogue(indicator("period_count", "{source: charity_aid}", 1, "quarter"))
    ev = run(dataset(charity_aid=_dated(aid)), "2026-01-05", cat)
    assert [row(ev, "T1", q)["status"] for q in ("2025Q1", "2025Q2", "2025Q3", "2025Q4")] == ["达标", "达标", "未达标", "未达标"]
    # 2 of 4 quarters met, project ended → 未达标 (2 of 4 periods)
    assert (row(ev, "T1")["status"], row(ev, "T1")["actual"], row(ev, "T1")["target"]) == ("未达标", 2, 4)


def _dated(rows):
    import datetime as dt

    return [{**r, "date": dt.date.fromisoformat(r["date"])} for r in rows]


@pytest.mark.parametrize("upload_required, actual, code", [
    # B was not uploaded to 中国社会工作网: counted without the upload rule (2), refused with it (1)
    (False, 2, None),
    (True, 1, "not_uploaded"),
])
def test_record_count_upload_rule(upload_required, actual, code):
    params = "{category: [资源链接], require_upload: true}" if upload_required else "{category: [资源链接]}"
    ds = dataset(services=[service("A", "2025-02-01"), service("B", "2025-03-01", uploaded=False)])
    ev = run(ds, "2025-06-30", catalogue(indicator("record_count", params, 4)))
    assert row(ev, "T1")["actual"] == actual
    assert reasons(ev, "T1")["B"][1] == code


@pytest.mark.parametrize("as_of, actual, expected, status", [
    # target 4 over 2025; on 06-30 181/365 of the year has gone: 4 × 181/365 = 1.98, rounded up to whole
    # records (domain.figures): expected 2; 2 ≥ 2 → 进度正常
    ("2025-06-30", 2, 2.0, "进度正常"),
    # on 03-31: 90/365 gone, 0.99 → expected 1; only A (02-01) counts → 1 ≥ 1 → 进度正常
    ("2025-03-31", 1, 1.0, "进度正常"),
    # on 2026-01-10 the year has ended: 2 < 4 → 未达标 (expected is the full target)
    ("2026-01-10", 2, 4.0, "未达标"),
    # before the project starts nothing is expected: 未开始
    ("2024-12-15", 0, 0.0, "未开始"),
])
def test_record_count_progress(as_of, actual, expected, status):
    ds = dataset(services=[service("A", "2025-02-01"), service("B", "2025-05-01")])
    ev = run(ds, as_of, catalogue(indicator("record_count", "{category: [资源链接]}", 4)))
    r = row(ev, "T1")
    assert (r["actual"], r["status"]) == (actual, status)
    assert r["expected"] == expected


def test_amount_sum_and_per_occasion_minimum():
    funds = [{"code": "F1", "station_code": "S1", "date": "2025-03-01", "amount": 6000.0, "use": "共募资金"},
             {"code": "F2", "station_code": "S1-V1", "date": "2025-05-01", "amount": 4500.0, "use": "专项基金"},
             {"code": "F3", "station_code": "S2", "date": "2025-05-01", "amount": 9000.0, "use": "共募资金"}]
    aid = [{"code": "A1", "station_code": "S1", "date": "2025-02-01", "amount": 800.0},
           {"code": "A2", "station_code": "S1", "date": "2025-04-01", "amount": 1000.0},
           {"code": "A3", "station_code": "S1", "date": "2025-07-01", "amount": 1500.0}]
    cat = catalogue(indicator("amount_sum", "{source: charity_funds, use: 共募资金}", 10000, id="SUM")
                    + indicator("amount_sum", "{source: charity_funds, use: 专项基金}", 1000, id="FUND")
                    + indicator("per_occasion_min", "{source: charity_aid, min_amount: 1000}", 3, id="MIN"))
    ev = run(dataset(charity_funds=_dated(funds), charity_aid=_dated(aid)), "2025-12-31", cat)
    # money by purpose (docs/counting-rules.md rule 11): SUM is F1 6000 only (F2 is 专项基金; F3 is another station's)
    # → 6000 < 10000 at year end → 未达标 (before the fix it summed F1 + F2 = 10500, the misreading)
    assert (row(ev, "SUM")["actual"], row(ev, "SUM")["status"]) == (6000, "未达标")
    assert row(ev, "FUND")["actual"] == 4500  # F2, whose station S1-V1 is S1's village room
    # A1 800 < 1000 does not count: 2 occasions of 3 → 未达标 at year end
    assert (row(ev, "MIN")["actual"], row(ev, "MIN")["status"]) == (2, "未达标")
    assert reasons(ev, "MIN")["A1"] == (False, "below_minimum")


FOLLOW = indicator("per_person_period", "{roster_category: [社会救助]}", 1, "quarter")


def test_per_person_per_quarter():
    people = [person("B1", follow_up=True), person("B2", follow_up=True), person("B3"),  # B3 not on the ledger
              person("B4", follow_up=True, joined="2025-05-10"),  # tracked from Q3 only
              person("B5", category="困难老人", follow_up=True)]  # another category
    visits = [service("V1", "2025-02-01", category="跟踪回访", people="B1"),
              service("V2", "2025-03-01", category="跟踪回访", people="B2"),
              service("V3", "2025-05-01", category="跟踪回访", people="B1", photo=None),  # no photo: not a visit
              service("V4", "2025-06-01", category="跟踪回访", people="B2")]
    ev = run(dataset(beneficiaries=people, services=visits), "2025-07-15", catalogue(FOLLOW))
    # Q1: B1 and B2 tracked (B4 joined 05-10), both visited → 100% → 达标
    assert (row(ev, "T1", "2025Q1")["actual"], row(ev, "T1", "2025Q1")["status"]) == (100, "达标")
    # Q2: B1's only visit has no photo → 1 of 2 = 50% → 未达标
    assert (row(ev, "T1", "2025Q2")["actual"], row(ev, "T1", "2025Q2")["status"]) == (50, "未达标")
    # Q3 is current (15 of 92 days): B1, B2, B4 tracked, none visited yet → 0 < 100 × 15/92 → 落后
    assert row(ev, "T1", "2025Q3")["status"] == "落后"
    # summary: 1 of the 2 ended quarters met → 落后
    assert (row(ev, "T1")["actual"], row(ev, "T1")["expected"], row(ev, "T1")["status"]) == (1, 2, "落后")
    people_rows = ev.explain("P1", "T1")
    assert set(people_rows[people_rows["record_table"] == "服务对象"]["record_id"]) == {"B1", "B2", "B4"}


def test_follow_up_ledger_exists():
    cat = catalogue(indicator("follow_up_ledger", "{roster_category: [困难老人]}", 1, id="OLD")
                    + indicator("follow_up_ledger", "{roster_category: [残疾人]}", 1, id="DIS"))
    people = [person("B1", category="困难老人", follow_up=True), person("B2", category="残疾人")]
    ev = run(dataset(beneficiaries=people), "2025-03-01", cat)
    # one elderly person on the ledger → 1 份 → 达标; no disabled person marked → 0 → 落后 (a state, expected 1)
    assert (row(ev, "OLD")["actual"], row(ev, "OLD")["status"]) == (1, "达标")
    assert (row(ev, "DIS")["actual"], row(ev, "DIS")["status"]) == (0, "落后")
