"""Supervision views on a hand-built station (every figure worked out by hand) and on the demo district."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import D, case_row, dataset, group_row, group_sessions, records, sessions
from engine_builders import catalogue, indicator, project

from sgzlib.analysis import supervision
from sgzlib.analysis.supervision import STATUS_ORDER
from sgzlib.demo import district as demo
from sgzlib.domain.dataset import Dataset
from sgzlib.indicators import evaluate

AS_OF = "2025-04-30"
FIRST_FOUR = ("接案记录表", "预估表", "服务协议", "工作计划表")


def hand_station():
    """S1 on 2025-04-30: C1 stalled, C2 high-risk without 预估表, C3 complete and closed; G1 with a short session."""
    cases = [case_row("C1"),
             case_row("C2", opened="2025-03-01", risk="高"),
             case_row("C3", opened="2025-01-05", closed="2025-03-20", close_reason="目标达成", evaluated="2025-03-15")]
    case_sessions = (sessions("C1", ("2025-01-20", "2025-01-27", "2025-02-03"))
                     + sessions("C2", ("2025-03-10", "2025-04-20"))
                     + sessions("C3", ("2025-01-10", "2025-01-17", "2025-01-24", "2025-02-01", "2025-02-08")))
    case_records = (records("C1", FIRST_FOUR) + records("C2", ("接案记录表", "服务协议", "工作计划表"), "2025-03-01")
                    + records("C3", date="2025-01-05"))
    services = [
        {"code": "SV1", "station_code": "S1", "date": D("2025-02-01"), "domain": "社会救助", "category": "关爱帮扶",
         "photos": "a.jpg"},
        {"code": "SV2", "station_code": "S1", "date": D("2025-02-05"), "domain": "社会救助", "category": "关爱帮扶",
         "photos": "a.jpg"},
        {"code": "SV3", "station_code": "S1", "date": D("2025-03-01"), "domain": "养老服务", "category": "资源链接"},
        {"code": "SV4", "station_code": "S1", "date": D("2025-05-10"), "domain": "养老服务", "category": "资源链接"},
    ]
    sup = [
        {"code": "D0", "station_code": "S1", "date": D("2025-02-01"), "supervisor": "王督导", "action": "补齐台账",
         "action_due": D("2025-03-01"), "action_status": "已完成"},
        {"code": "D1", "station_code": "S1", "date": D("2025-03-10"), "supervisor": "王督导", "action": "补拍水印照片",
         "action_due": D("2025-04-10"), "action_status": "进行中"},
        {"code": "D2", "station_code": "S1", "date": D("2025-04-20"), "supervisor": "李督导", "action": "小组招募",
         "action_due": D("2025-05-20"), "action_status": "未开始"},
    ]
    return dataset(cases, case_sessions, case_records, [group_row("G1")],
                   group_sessions("G1", (8, 4, 8, 8, 8), sign_in=(True, False, True, True, True)),
                   services=services, supervisions=sup, projects=[project(catalogue=CATALOGUE)])


# The station's catalogue: 社会救助 cases of ≥5 sessions (ZL-SA-06); 养老服务 groups of ≥5 sessions that each had
# ≥6 people signed in, with a sign-in sheet (ZL-EL-07) — its counting rules, read by the engine.
CATALOGUE = "zhalainuoer-2026"


@pytest.fixture(scope="module")
def station():
    return hand_station()


@pytest.fixture(scope="module")
def evaluation(station):
    return evaluate(station, D(AS_OF))


def test_cases_needing_attention(station, evaluation):
    cases = supervision.cases_needing_attention(station, "S1", AS_OF, evaluation).set_index("code")
    # C3 is closed with every record and 5 sessions: counts, not listed. C2 (high risk 3 + missing 1 + not
    # counted 1 = 5) before C1 (stalled 2 + not counted 1 = 3).
    assert list(cases.index) == ["C2", "C1"]
    assert cases.at["C2", "flags"] == ("可能不被认定", "高风险", "文书缺失")
    assert cases.at["C2", "missing"] == "预估表"
    assert cases.at["C2", "urgency"] == 5
    # the engine's verdict for this catalogue, word for word: 2 and 3 sessions of the 5 asked
    assert cases.at["C2", "count_reason"] == "仅 2 节服务，需 ≥5 节"
    assert cases.at["C1", "count_reason"] == "仅 3 节服务，需 ≥5 节"
    assert cases.at["C2", "beneficiary_name"] == "张小三"
    # C1: last session 2025-02-03 → 2025-04-30 is 25 + 31 + 30 = 86 days idle; open since 01-10: 21 + 28 + 31 + 30 = 110.
    assert cases.at["C1", "days_idle"] == 86
    assert cases.at["C1", "open_days"] == 110
    assert cases.at["C1", "flags"] == ("可能不被认定", "停滞")


def test_without_a_project_no_case_is_judged(station):
    # no evaluation given and the same station without its project: nothing judges the cases
    bare = Dataset({**station.frames, "projects": station.projects.iloc[0:0]})
    cases = supervision.cases_needing_attention(bare, "S1", AS_OF).set_index("code")
    assert cases["counted"].isna().all() and cases["count_reason"].eq(supervision.NOT_JUDGED).all()
    assert "可能不被认定" not in cases.at["C1", "flags"]


def test_groups_at_risk(station, evaluation):
    groups = supervision.groups_at_risk(station, "S1", AS_OF, evaluation)
    assert list(groups["code"]) == ["G1"]
    g = groups.iloc[0]
    # Session 2 had 4 < 6 people: 4 of 5 sessions count, one more needed; last session 03-29 → 32 days idle.
    assert (g["counted_sessions"], g["needed"], g["days_idle"]) == (4, 1, 32)
    assert g["why"] == "有效节次 4 节，需 ≥5 节：第2节（签到 4 人<6，无签到表）不计；各节签到人数：8、4、8、8、8"
    assert g["short_sessions"] == ("第2节（签到 4 人<6，无签到表）",)


def test_a_catalogue_without_an_attendance_minimum_counts_the_same_group(station):
    # The same G1 under a catalogue asking 5 sessions and nothing about attendance: all 5 count → not at risk.
    lenient = catalogue(indicator("qualified_groups", "{min_sessions: 5}", 1, id="GROUPS"))
    ds = Dataset({**station.frames, "projects": station.projects.assign(catalogue="test-cat")})
    ev = evaluate(ds, D(AS_OF), catalogues=[lenient])
    assert supervision.groups_at_risk(ds, "S1", AS_OF, ev).empty


def test_evidence_problems(station):
    ev = supervision.evidence_problems(station, "S1", AS_OF)
    # SV4 is after the as-of date; SV2 reuses SV1's photo; SV3 has none; G1 session 2 has no sign-in sheet.
    assert list(zip(ev["kind"], ev["record"])) == [("无水印照片", "SV3"), ("照片重复使用", "SV2"), ("无签到表", "G1 第2节")]
    assert "SV1" in ev.loc[1, "detail"]


def test_action_items(station):
    actions = supervision.action_items(station, "S1", AS_OF).set_index("code")
    assert list(actions.index) == ["D1", "D2"]  # D0 is done; overdue first
    assert actions.at["D1", "overdue"] and actions.at["D1", "days_overdue"] == 20  # due 04-10 → 04-30
    assert not actions.at["D2", "overdue"] and actions.at["D2", "last_session"]
    assert not actions.at["D1", "last_session"]


def _results(statuses: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"station_code": "S1", "indicator_id": list(statuses), "indicator_name": list(statuses),
                         "period": "全期", "status": list(statuses.values()), "actual": 1.0, "target": 4.0,
                         "expected": 2.0, "note": ""})


def test_agenda_most_urgent_first(station, evaluation):
    results = _results({"个案数": "落后", "月度服务": "未达标", "制度上墙": "达标"})
    worsened = pd.DataFrame({"beneficiary_code": ["B1"], "station_code": ["S1"]})
    att = supervision.station_attention(station, "S1", AS_OF, results=results, worsened=worsened,
                                        evaluation=evaluation)
    agenda = att.agenda
    assert list(zip(agenda["level"], agenda["topic"])) == [
        ("紧急", "指标进度"), ("紧急", "督导行动项"), ("紧急", "个案"),
        ("重要", "指标进度"), ("重要", "个案"), ("重要", "服务成效"), ("重要", "小组"), ("重要", "个案"),
        ("整改", "佐证材料"), ("整改", "佐证材料"), ("整改", "佐证材料"), ("整改", "督导行动项")]
    assert agenda.loc[7, "item"] == "1 个个案可能不被认定：C1（仅 3 节服务，需 ≥5 节）"
    assert agenda.loc[0, "item"].startswith("1 项指标未达标：月度服务")
    assert "C2（张小三，可能不被认定，高风险，文书缺失）" in agenda.loc[2, "item"]
    assert "C1（86 天无进展）" in agenda.loc[4, "item"]
    assert list(agenda["priority"]) == sorted(agenda["priority"])


def test_indicators_needing_attention_order():
    rows = supervision.indicators_needing_attention(_results({"a": "未开始", "b": "达标", "c": "落后", "d": "未达标"}))
    assert list(rows["status"]) == ["未达标", "落后", "未开始"]
    assert STATUS_ORDER[:2] == ("未达标", "落后")


@pytest.mark.parametrize("code", demo.PLANTED.stalled_cases)
def test_demo_stalled_cases_are_flagged(demo_ds, code):
    station = code.split("-")[0]
    cases = supervision.cases_needing_attention(demo_ds, station, demo.AS_OF).set_index("code")
    assert "停滞" in cases.at[code, "flags"]


def test_demo_planted_problems(demo_ds):
    yl02 = supervision.evidence_problems(demo_ds, "YL02", demo.AS_OF)
    reused = yl02[yl02["kind"] == "照片重复使用"]
    # The record dated later (then by code) loses the photo; the first user keeps it.
    pair = demo_ds.services.set_index("code").loc[list(demo.PLANTED.reused_by), "date"]
    later = max(pair.index, key=lambda c: (pair[c], c))
    assert list(reused["record"]) == [later]
    # Short sessions are a problem only where the catalogue asks for ≥6 people a session (zhalainuoer, YL01).
    groups = supervision.groups_at_risk(demo_ds, "YL01", demo.AS_OF)
    assert "YL01-G02" in set(groups["code"])
    for station in demo.PLANTED.overdue_action_stations:
        assert supervision.action_items(demo_ds, station, demo.AS_OF)["overdue"].any()
    for code in demo.PLANTED.cases_missing_records:
        cases = supervision.cases_needing_attention(demo_ds, code.split("-")[0], demo.AS_OF).set_index("code")
        assert "预估表" in cases.at[code, "missing"]
