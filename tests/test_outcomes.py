"""Pairing rules, direction, reliable change and the supervisor views of ``sgzlib.domain.outcomes``."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from sgzlib.demo import district as demo
from sgzlib.domain import outcomes
from sgzlib.domain.dataset import Dataset

D = dt.date.fromisoformat
STATIONS = [
    {"code": "S1", "name": "测试街道社会工作服务站", "level": "乡镇街道站", "district": "测试区"},
    {"code": "S1-V1", "name": "幸福社区社会工作服务室", "level": "村社区室", "parent_code": "S1", "district": "测试区"},
]
PROJECT = {"code": "P1", "station_code": "S1", "year": 2025, "start": D("2025-01-01"), "end": D("2025-12-31"),
           "budget": 100000.0, "catalogue": "jiuyuan-2024"}


def person(code, station="S1", category="困难老人"):
    return {"code": code, "name": f"张{code}", "station_code": station, "category": category,
            "joined": D("2025-01-01")}


def m(who, scale, phase, date, score, case=None, group=None):
    return {"beneficiary_code": who, "scale": scale, "phase": phase, "date": D(date), "score": score,
            "case_code": case, "group_code": group}


def build(measurements, people=("B1",), cases=(), groups=(), group_sessions=()):
    frames = {"stations": STATIONS, "projects": [PROJECT],
              "beneficiaries": [p if isinstance(p, dict) else person(p) for p in people],
              "cases": list(cases), "groups": list(groups), "group_sessions": list(group_sessions),
              "measurements": measurements}
    return Dataset({k: pd.DataFrame(v) for k, v in frames.items() if len(v)})


CASE = {"code": "C1", "station_code": "S1", "beneficiary_code": "B1", "domain": "养老服务", "opened": D("2025-02-01"),
        "closed": D("2025-06-30"), "close_reason": "目标达成"}
GROUP = {"code": "G1", "station_code": "S1", "domain": "社会救助", "name": "互助小组", "report_date": D("2025-05-31")}


def roles(analysis):
    """(phase, date, role) of every measurement, for compact assertions."""
    r = analysis.rows.sort_values(["date", "phase"])
    return [(p, f"{d:%m-%d}", role) for p, d, role in zip(r["phase"], r["date"], r["role"], strict=True)]


# -- pairing rules -----------------------------------------------------------------------------------

def test_several_pre_tests_use_the_earliest_and_list_the_others():
    ds = build([m("B1", "UCLA-3", "前测", "2025-02-01", 60), m("B1", "UCLA-3", "前测", "2025-02-20", 58),
                m("B1", "UCLA-3", "后测", "2025-06-01", 50)])
    a = outcomes.analyse(ds)
    assert roles(a) == [("前测", "02-01", "pre"), ("前测", "02-20", "extra_pre"), ("后测", "06-01", "post")]
    pair = a.pairs.iloc[0]
    assert (pair["pre"], pair["post"], pair["project_code"], pair["work_type"]) == (60, 50, "P1", "其他")
    extra = a.unpaired.iloc[0]
    assert extra["reason_code"] == "extra_pre"
    assert extra["reason"] == "同一服务中有多次前测，已采用最早的前测作为基线（2025-02-01）"


def test_several_post_tests_use_the_latest_and_a_post_before_the_pre_is_refused():
    ds = build([m("B1", "SSRS", "后测", "2025-01-20", 30), m("B1", "SSRS", "前测", "2025-02-01", 30),
                m("B1", "SSRS", "后测", "2025-05-01", 34), m("B1", "SSRS", "后测", "2025-08-01", 36)])
    a = outcomes.analyse(ds)
    assert roles(a) == [("后测", "01-20", "post_before_pre"), ("前测", "02-01", "pre"),
                        ("后测", "05-01", "extra_post"), ("后测", "08-01", "post")]
    assert a.pairs["improvement"].tolist() == [6.0]  # 36 − 30, SSRS higher is better


def test_follow_up_is_reported_separately_and_never_replaces_the_post_test():
    ds = build([m("B1", "UCLA-3", "前测", "2025-02-01", 60), m("B1", "UCLA-3", "后测", "2025-06-01", 50),
                m("B1", "UCLA-3", "跟踪", "2025-09-01", 54),
                # B2 has a follow-up but no post-test: nothing is paired for B2
                m("B2", "UCLA-3", "前测", "2025-02-01", 62), m("B2", "UCLA-3", "跟踪", "2025-09-01", 55)],
               people=("B1", "B2"))
    a = outcomes.analyse(ds)
    assert a.pairs["beneficiary_code"].tolist() == ["B1"]
    f = a.follow_ups.iloc[0]
    # UCLA-3 lower is better: at follow-up 60 → 54 is still 6 better than the pre-test,
    # but 50 → 54 is 4 worse than at the post-test, so the gain was not kept in full.
    assert (f["improvement_at_follow"], f["change_since_post"], f["maintained"]) == (6.0, -4.0, False)
    reasons = a.unpaired.set_index("beneficiary_code")["reason_code"].sort_values().tolist()
    assert reasons == ["follow_up_unpaired", "no_post"]


def test_case_and_group_measurements_pair_only_within_their_own_service():
    ds = build([m("B1", "SSRS", "前测", "2025-02-05", 30, case="C1"), m("B1", "SSRS", "后测", "2025-06-20", 38, case="C1"),
                m("B1", "SSRS", "前测", "2025-03-01", 28, group="G1"),
                m("B1", "SSRS", "后测", "2025-05-20", 33, group="G1"),
                # a pre-test in the case and a post-test of nothing: the unlinked post has no pre of its own
                m("B1", "SSRS", "后测", "2025-07-01", 40)],
               cases=[CASE], groups=[GROUP])
    a = outcomes.analyse(ds)
    got = a.pairs.set_index("work_type")[["case_code", "group_code", "domain", "improvement"]]
    assert got.loc["个案"].tolist() == ["C1", pd.NA, "养老服务", 8.0]   # domain of the case: 38 − 30
    assert got.loc["小组"].tolist() == [pd.NA, "G1", "社会救助", 5.0]   # domain of the group: 33 − 28
    assert a.unpaired["reason_code"].tolist() == ["no_pre"]


@pytest.mark.parametrize("row, reason", [
    (m("B1", "焦虑量表", "前测", "2025-02-01", 30), "unknown_scale"),
    (m("B1", "UCLA-3", "前测", "2025-02-01", 95), "out_of_range"),          # UCLA-3 tops out at 80
    (m("B1", "UCLA-3", "前测", "2024-11-01", 60), "no_project"),            # before the project period
    (m("B1", "UCLA-3", "前测", "2025-02-01", 60), "no_post"),
    (m("B1", "UCLA-3", "后测", "2025-06-01", 50), "no_pre"),
])
def test_unpaired_measurements_carry_a_reason(row, reason):
    a = outcomes.analyse(build([row]))
    assert a.pairs.empty
    assert a.unpaired["reason_code"].tolist() == [reason]
    assert a.unpaired["reason"].iloc[0].startswith(outcomes.REASONS[reason])


def test_every_measurement_is_accounted_for(demo_ds):
    a = outcomes.analyse(demo_ds)
    assert 2 * len(a.pairs) + len(a.unpaired) + len(a.follow_ups) == len(demo_ds.measurements)


def test_village_room_beneficiary_uses_the_project_of_the_station_above():
    ds = build([m("B9", "Barthel", "前测", "2025-03-01", 40), m("B9", "Barthel", "后测", "2025-07-01", 55)],
               people=(person("B9", station="S1-V1", category="残疾人"),))
    pair = outcomes.pairs(ds).iloc[0]
    assert (pair["project_code"], pair["station_code"], pair["domain"]) == ("P1", "S1-V1", "扶残助残")


def test_as_of_ignores_later_measurements():
    ds = build([m("B1", "SSRS", "前测", "2025-02-01", 30), m("B1", "SSRS", "后测", "2025-08-01", 36)])
    assert outcomes.pairs(ds, as_of=D("2025-07-31")).empty
    assert outcomes.unpaired(ds, as_of=D("2025-07-31"))["reason_code"].tolist() == ["no_post"]


# -- direction and reliable change --------------------------------------------------------------------

@pytest.mark.parametrize("scale, pre, post, improvement", [
    ("UCLA-3", 60, 50, 10.0),     # lower is better: loneliness fell by 10 → +10
    ("UCLA-3", 50, 60, -10.0),
    ("SDQ", 20, 26, -6.0),        # lower is better: more difficulties → worse
    ("Barthel", 40, 55, 15.0),    # higher is better
    ("RSES", 30, 25, -5.0),
])
def test_improvement_is_direction_aware(scale, pre, post, improvement):
    ds = build([m("B1", scale, "前测", "2025-02-01", pre), m("B1", scale, "后测", "2025-06-01", post)])
    pair = outcomes.pairs(ds).iloc[0]
    assert pair["change"] == post - pre
    assert pair["improvement"] == improvement


def test_rci_uses_cited_reliability_and_the_pre_test_sd():
    pres = [50, 52, 55, 57, 60, 61, 63, 66, 70, 74]            # ten UCLA-3 pre-tests
    posts = [48, 50, 40, 57, 49, 66, 60, 50, 71, 60]
    rows, people = [], []
    for i, (pre, post) in enumerate(zip(pres, posts, strict=True)):
        people.append(f"B{i}")
        rows += [m(f"B{i}", "UCLA-3", "前测", "2025-02-01", pre), m(f"B{i}", "UCLA-3", "后测", "2025-06-01", post)]
    p = outcomes.pairs(build(rows, people=people)).set_index("beneficiary_code")
    # Second implementation: SE_diff = SD_pre · √2 · √(1 − .73) with Russell's (1996) 1-year retest r = .73.
    se_diff = np.std(pres, ddof=1) * math.sqrt(2) * math.sqrt(1 - 0.73)
    expected = {f"B{i}": (pre - post) / se_diff for i, (pre, post) in enumerate(zip(pres, posts, strict=True))}
    for code, value in expected.items():
        assert p.loc[code, "rci"] == pytest.approx(value)
    # SD_pre = 7.6999, SE_diff = 5.6583, so a reliable change needs 1.96·5.6583 = 11.09 points:
    # B2 (55 → 40, +15), B7 (66 → 50, +16) and B9 (74 → 60, +14) exceed it; B4 (60 → 49, +11) just misses;
    # B5 (61 → 66, −5) does not reach −11.09.
    assert sorted(p.index[p["rci_class"] == "改善"]) == ["B2", "B7", "B9"]
    assert p.loc["B4", "rci_class"] == p.loc["B5", "rci_class"] == "无可靠变化"
    assert "n=10" in p.loc["B0", "rci_note"]


def test_rci_not_computable_with_the_reason():
    ds = build([m("B1", "SSRS", "前测", "2025-02-01", 30), m("B1", "SSRS", "后测", "2025-06-01", 20),
                m("B1", "Barthel", "前测", "2025-02-01", 30), m("B1", "Barthel", "后测", "2025-06-01", 20)])
    p = outcomes.pairs(ds).set_index("scale")
    assert p.loc["SSRS", "rci_class"] == "无法计算"
    assert "没有可引用的信度" in p.loc["SSRS", "rci_note"]
    assert p.loc["Barthel", "rci_class"] == "无法计算"           # reliability cited, but one pre-test is no SD
    assert "需 ≥10" in p.loc["Barthel", "rci_note"]


# -- views ---------------------------------------------------------------------------------------------

def test_summary_groups_and_counts():
    rows, people = [], []
    changes = [(60, 50), (58, 58), (62, 66)]                     # UCLA-3: +10, 0, −4
    for i, (pre, post) in enumerate(changes):
        people.append(f"B{i}")
        rows += [m(f"B{i}", "UCLA-3", "前测", "2025-02-01", pre), m(f"B{i}", "UCLA-3", "后测", "2025-06-01", post)]
    s = outcomes.summary(build(rows, people=people)).iloc[0]
    assert (s["station_code"], s["domain"], s["scale"], s["work_type"], s["n"]) == ("S1", "养老服务", "UCLA-3", "其他", 3)
    assert s["mean_improvement"] == pytest.approx(2.0)           # (10 + 0 − 4) / 3
    assert s["median_improvement"] == 0.0
    assert s["worse_raw"] == 1 and s["rci_unavailable"] == 3     # three pre-tests cannot give an SD
    # Pratt ranks of |10|, |0|, |−4|: 0→1, 4→2, 10→3; r_rb = (3 − 2) / 6
    assert s["r_rb"] == pytest.approx(1 / 6)
    assert "样本量小（n=3<10）" in s["note"]


def test_worsened_is_direction_aware():
    ds = build([m("B1", "UCLA-3", "前测", "2025-02-01", 50), m("B1", "UCLA-3", "后测", "2025-06-01", 56),
                m("B2", "Barthel", "前测", "2025-02-01", 60), m("B2", "Barthel", "后测", "2025-06-01", 55),
                m("B3", "UCLA-3", "前测", "2025-02-01", 60), m("B3", "UCLA-3", "后测", "2025-06-01", 52)],
               people=("B1", "B2", "B3"))
    w = outcomes.worsened(ds)
    # B1 lonelier (50 → 56) and B2 less able (60 → 55) got worse; B3's UCLA-3 fell, which is better.
    assert sorted(w["beneficiary_code"]) == ["B1", "B2"]
    assert "name" not in w.columns


def test_missing_post_after_the_service_ended():
    ds = build([m("B1", "SSRS", "前测", "2025-02-05", 30, case="C1"),         # case closed 06-30
                m("B1", "UCLA-3", "前测", "2025-03-01", 60, group="G1"),      # group reported 05-31
                m("B2", "UCLA-3", "前测", "2025-03-01", 60, case="C2"),       # case still open
                m("B3", "UCLA-3", "前测", "2025-03-01", 60)],                 # project runs to 12-31
               people=("B1", "B2", "B3"), cases=[CASE, {**CASE, "code": "C2", "beneficiary_code": "B2",
                                                        "closed": None, "close_reason": None}], groups=[GROUP])
    out = outcomes.missing_post(ds, D("2025-07-31"))
    assert out[["beneficiary_code", "scale", "days_since_end"]].values.tolist() == [
        ["B1", "UCLA-3", 61],   # 2025-05-31 → 2025-07-31
        ["B1", "SSRS", 31],     # 2025-06-30 → 2025-07-31
    ]
    assert out["reason"].tolist() == ["小组已完成评估总结（2025-05-31），仍没有后测", "个案已结案（2025-06-30），仍没有后测"]
    later = outcomes.missing_post(ds, D("2026-01-15"))
    assert "B3" in set(later["beneficiary_code"])                 # the project period ended on 2025-12-31
    assert "B2" not in set(later["beneficiary_code"])             # an open case is not "ended"


def test_group_without_report_counts_as_ended_after_idle_days():
    sessions = [{"group_code": "G2", "seq": i, "date": D(d), "attendance": 8}
                for i, d in enumerate(["2025-03-01", "2025-03-08", "2025-03-15"], 1)]
    ds = build([m("B1", "SSRS", "前测", "2025-03-01", 30, group="G2")],
               groups=[{**GROUP, "code": "G2", "report_date": None}], group_sessions=sessions)
    assert outcomes.missing_post(ds, D("2025-04-10")).empty      # 26 days since the last session
    out = outcomes.missing_post(ds, D("2025-04-20"))              # 36 days > 30
    assert out["reason"].tolist() == ["小组最后一次活动后已超过 30 天（2025-03-15），仍没有后测"]


# -- the demo district ------------------------------------------------------------------------------------

def test_demo_worsened_are_exactly_the_planted(demo_ds):
    w = outcomes.worsened(demo_ds, as_of=demo.AS_OF)
    assert sorted(w["beneficiary_code"]) == sorted(demo.PLANTED.worsened)


def test_demo_missing_post_only_after_services_ended(demo_ds):
    out = outcomes.missing_post(demo_ds, demo.AS_OF)
    assert len(out) > 0
    assert (out["ended"] <= pd.Timestamp(demo.AS_OF)).all()
    stalled = set(demo.PLANTED.stalled_cases)
    assert not stalled & set(out["case_code"].dropna())           # stalled cases are still open
