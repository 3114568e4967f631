"""The supervision cycle: pre-filled workbook round trip, action item history, since last supervision, caseload."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from sgzlib.analysis import supervision_cycle as sc
from sgzlib.domain import supervision_records as records
from sgzlib.domain.dataset import Dataset
from sgzlib.errors import DataError
from sgzlib.ledger import import_workbook
from sgzlib.ledger import supervision_book as book
from sgzlib.store import storage

D = pd.Timestamp


def station_ds(**extra) -> Dataset:
    """One station S1 with two workers and one 督导记录 action item S1-D1 (set 2025-03-01, due 03-20)."""
    frames = {
        "stations": pd.DataFrame([{"code": "S1", "name": "甲站", "level": "乡镇街道站", "district": "某区"},
                                  {"code": "S2", "name": "乙站", "level": "乡镇街道站", "district": "某区"}]),
        "staff": pd.DataFrame([{"code": "S1-W1", "name": "张一", "station_code": "S1", "certificate": "无"},
                               {"code": "S1-W2", "name": "李二", "station_code": "S1", "certificate": "无"},
                               {"code": "S2-W1", "name": "王三", "station_code": "S2", "certificate": "无"}]),
        "supervisions": pd.DataFrame([{"code": "S1-D1", "station_code": "S1", "date": D("2025-03-01"),
                                       "supervisor": "王督导", "topic": "台账", "action": "补齐台账",
                                       "action_due": D("2025-03-20"), "action_status": "未开始"}]),
    }
    frames.update(extra)
    return Dataset(frames)


AGENDA = pd.DataFrame([{"priority": 2, "level": "重要", "topic": "个案", "item": "2 个个案停滞：C1、C2",
                        "what": "2 个个案停滞", "why": "超过 30 天无进展", "records": "C1、C2", "refs": 2}])


@pytest.fixture
def db(tmp_path):
    engine = storage.connect(f"sqlite:///{tmp_path / 'sgz.db'}")
    storage.write_dataset(engine, station_ds())
    return engine


def _fill(path, values: dict[int, dict[str, object]]):
    """Write ``values`` (Excel row → header → value) into the 督导议程记录 sheet."""
    wb = load_workbook(path)
    ws = wb["督导议程记录"]
    col = {c.value: c.column for c in ws[1]}
    for row, cells in values.items():
        for header, value in cells.items():
            ws.cell(row, col[header], value)
    wb.save(path)
    return path


def test_round_trip_imports_once_and_refuses_bad_rows(db, tmp_path):
    ds = storage.load_dataset(db)
    path = book.write_session_workbook(ds, "S1", "2025-04-01", AGENDA, tmp_path / "s.xlsx")
    wb = load_workbook(path)
    ws = wb["督导议程记录"]
    head = [c.value for c in ws[1]]
    rows = [v for v in ([c.value for c in r] for r in ws.iter_rows(min_row=2)) if any(x is not None for x in v)]
    # one agenda item, then the open action item S1-D1 to review
    assert len(rows) == 2
    assert rows[0][head.index("议程内容")] == "2 个个案停滞" and rows[0][head.index("涉及记录")] == "C1、C2"
    assert rows[0][head.index("行动项编号")] == "S1-S20250401-01"
    assert rows[1][head.index("行动项编号")] == "S1-D1" and rows[1][head.index("完成情况")] == "未开始"
    # the owner drop-down lists S1's workers only
    assert [r[0].value for r in wb["可选责任人"].iter_rows()] == ["S1-W1", "S1-W2"]
    _fill(path, {2: {"讨论情况": "逐案讨论", "决定": "本月恢复", "行动项": "恢复联系", "责任人编码": "S1-W1",
                     "期限": D("2025-04-30").date(), "完成情况": "未开始"},
                 3: {"完成情况": "进行中"}})
    first = import_workbook(db, path)
    assert first.changed_anything
    after = storage.load_dataset(db)
    assert len(after.supervision_items) == 2
    hist = after.action_history.set_index("action_code")["status"].to_dict()
    assert hist == {"S1-S20250401-01": "未开始", "S1-D1": "进行中"}
    reg = sc.action_register(after, "S1", "2025-05-10").set_index("code")
    # S1-D1: set 03-01, still open at the 04-01 session → carried over once; due 03-20 → 51 days overdue on 05-10
    assert reg.loc["S1-D1", "status"] == "进行中" and reg.loc["S1-D1", "carried_over"] == 1
    assert reg.loc["S1-D1", "days_overdue"] == 51
    # the new item is due 04-30: 10 days overdue on 05-10
    assert reg.loc["S1-S20250401-01", "days_overdue"] == 10 and reg.loc["S1-S20250401-01", "owner_code"] == "S1-W1"
    second = import_workbook(db, path)
    assert not second.changed_anything
    # a bad row: an owner of another station and a due date before the session
    bad = _fill(tmp_path / "s.xlsx", {2: {"责任人编码": "S2-W1", "期限": D("2025-03-15").date()}})
    with pytest.raises(DataError) as exc:
        import_workbook(db, bad)
    found = {(p.where, p.row, p.column) for p in exc.value.problems}
    assert ("督导议程记录", 2, "责任人编码") in found and ("督导议程记录", 2, "期限") in found
    unknown = _fill(bad, {2: {"责任人编码": "X9", "期限": D("2025-04-30").date()}})
    with pytest.raises(DataError) as exc:
        import_workbook(db, unknown)
    assert [(p.where, p.row, p.column) for p in exc.value.problems] == [("督导议程记录", 2, "责任人编码")]
    assert len(storage.load_dataset(db).supervision_items) == 2  # nothing half-written


def test_refused_transition_and_append_only(db, tmp_path):
    ds = storage.load_dataset(db)
    path = book.write_session_workbook(ds, "S1", "2025-04-01", AGENDA.iloc[:0], tmp_path / "a.xlsx")
    import_workbook(db, _fill(path, {2: {"完成情况": "已完成"}}))
    later = book.write_session_workbook(storage.load_dataset(db), "S1", "2025-05-01", AGENDA.iloc[:0], tmp_path / "b.xlsx")
    # S1-D1 is done, so it is not on the next workbook; a supervisor who adds it back as in progress is refused
    _fill(later, {2: {"督导编号": "S1-S20250501", "议程序号": 1, "站点编码": "S1", "督导日期": D("2025-05-01").date(),
                      "督导者": "王督导", "行动项编号": "S1-D1", "行动项": "补齐台账", "完成情况": "进行中"}})
    with pytest.raises(DataError) as exc:
        import_workbook(db, later)
    messages = [p.message for p in exc.value.problems]
    assert any("不能从「已完成」改为「进行中」" in m for m in messages), messages
    # the same session cannot record a second status for an item (history only grows)
    with pytest.raises(DataError) as exc:
        import_workbook(db, _fill(path, {2: {"完成情况": "已取消"}}))
    assert any("只增不改" in p.message for p in exc.value.problems)


def _history(rows):
    return pd.DataFrame([dict(zip(("action_code", "session_code", "station_code", "date", "status"), r)) for r in rows])


def test_carry_over_and_overdue_flags():
    items = pd.DataFrame([{"session_code": "S1-S20250401", "item_no": 1, "station_code": "S1", "date": D("2025-04-01"),
                           "supervisor": "王督导", "action_code": "A1", "action": "甲", "due": D("2025-04-15"),
                           "status": "未开始"}])
    hist = _history([("A1", "S1-S20250401", "S1", D("2025-04-01"), "未开始"),
                     ("A1", "x2", "S1", D("2025-05-01"), "进行中"),
                     ("A1", "x3", "S1", D("2025-06-01"), "进行中"),
                     ("S1-D1", "x2", "S1", D("2025-05-01"), "已完成")])
    ds = station_ds(supervision_items=items, action_history=hist)
    reg = sc.action_register(ds, "S1", "2025-06-10").set_index("code")
    # A1: open at 05-01 and 06-01, both after it was set on 04-01 → carried over 2 (< 3, not flagged); due 04-15 →
    # 56 days overdue on 06-10 (15 + 31 + 10)
    assert reg.loc["A1", "carried_over"] == 2 and reg.loc["A1", "flags"] == ["已逾期"]
    assert reg.loc["A1", "days_overdue"] == 56
    assert reg.loc["S1-D1", "status"] == "已完成" and not reg.loc["S1-D1", "overdue"]
    # one more session still open → carried over 3 → flagged
    more = pd.concat([hist, _history([("A1", "x4", "S1", D("2025-07-01"), "进行中")])])
    reg = sc.action_register(station_ds(supervision_items=items, action_history=more), "S1", "2025-07-02").set_index("code")
    assert reg.loc["A1", "carried_over"] == 3 and reg.loc["A1", "flags"] == ["已逾期", "多次延续"]
    # on 04-10 (before the due date, before later sessions): no flags, status as first recorded
    early = sc.action_register(station_ds(supervision_items=items, action_history=more), "S1", "2025-04-10")
    assert early.set_index("code").loc["A1", "flags"] == [] and early.set_index("code").loc["A1", "status"] == "未开始"
    assert records.transition_problem("已完成", "进行中") == "不能从「已完成」改为「进行中」"
    assert records.transition_problem("未开始", "已取消") is None


def _case(code, opened, closed=None, worker="S1-W1", beneficiary="B1"):
    return {"code": code, "station_code": "S1", "beneficiary_code": beneficiary, "domain": "社会救助",
            "worker_code": worker, "opened": D(opened), "closed": D(closed) if closed else None}


def hand_built():
    """S1 with a previous session on 2025-03-01 (S1-D1) and known changes up to 2025-04-30."""
    people = pd.DataFrame([{"code": "B1", "name": "甲", "station_code": "S1", "category": "困难老人",
                            "joined": D("2025-01-01")}])
    cases = pd.DataFrame([_case("C1", "2025-01-05"),  # open, sessions until 02-20: stalled after 03-22
                          _case("C2", "2025-03-10"),  # opened in the window
                          _case("C3", "2025-01-10", "2025-04-01", worker="S1-W2"),  # closed in the window
                          _case("C4", "2025-01-10")])  # stalled on 03-01 (idle since 01-10), sessions again in April
    sessions = pd.DataFrame([
        {"case_code": "C1", "seq": 1, "date": D("2025-02-20")},
        {"case_code": "C2", "seq": 1, "date": D("2025-04-20")},
        {"case_code": "C2", "seq": 2, "date": D("2025-04-27")},
        {"case_code": "C4", "seq": 1, "date": D("2025-04-25")},
        {"case_code": "C3", "seq": 1, "date": D("2025-02-01")},
    ])
    groups = pd.DataFrame([{"code": "G1", "station_code": "S1", "domain": "社会救助", "name": "互助小组",
                            "leader_code": "S1-W2"}])
    group_sessions = pd.DataFrame([{"group_code": "G1", "seq": k, "date": D(d), "attendance": 8}
                                   for k, d in enumerate(("2025-02-10", "2025-04-10", "2025-04-24"), 1)])
    return station_ds(beneficiaries=people, cases=cases, case_sessions=sessions, groups=groups,
                      group_sessions=group_sessions)


def test_since_last_supervision_on_a_hand_built_station():
    ds = hand_built()
    results = lambda status, actual: pd.DataFrame([{  # noqa: E731
        "station_code": "S1", "period": "全期", "indicator_id": "I1", "indicator_name": "个案数", "status": status,
        "actual": actual, "expected": 3.0, "target": 10.0}])
    s = sc.since_last(ds, "S1", "2025-04-30", before_results=results("落后", 1.0), after_results=results("进度正常", 4.0))
    assert s.previous == D("2025-03-01").date()
    changes = set(zip(s.cases["change"], s.cases["code"]))
    # C2 opened 03-10, C3 closed 04-01; C1 idle since 02-20: 8 days on 03-01, 69 on 04-30 → became stalled (>30);
    # C4 idle since opening 01-10: 50 days on 03-01 (stalled), last session 04-25 → 5 days on 04-30 → unstalled
    assert changes == {("opened", "C2"), ("closed", "C3"), ("stalled", "C1"), ("unstalled", "C4")}
    # sessions after 03-01: C2 two (04-20, 04-27), C4 one; G1 two (04-10, 04-24)
    assert dict(zip(s.case_sessions["case_code"], s.case_sessions["sessions"])) == {"C2": 2, "C4": 1}
    assert dict(zip(s.group_sessions["group_code"], s.group_sessions["sessions"])) == {"G1": 2}
    row = s.indicators.iloc[0]
    assert (row["status_before"], row["actual_before"], row["status_after"], row["actual_after"]) == \
        ("落后", 1.0, "进度正常", 4.0)
    # the previous session set S1-D1 (未开始); nothing recorded since
    assert s.actions[["code", "status_then", "status"]].values.tolist() == [["S1-D1", "未开始", "未开始"]]


def test_caseload_per_worker():
    from sgzlib.domain import caseload
    from sgzlib.domain.lifecycle import case_overview

    ds = hand_built()
    c = caseload.caseload(ds, "S1", "2025-04-30", max_open_cases=2).set_index("worker_code")
    # S1-W1: C1, C2, C4 open (3 > 2: overloaded); C1 stalled (69 days idle); April sessions C2 ×2 + C4 ×1 = 3
    assert c.loc["S1-W1", ["open_cases", "stalled_cases", "sessions_month"]].tolist() == [3, 1, 3]
    assert bool(c.loc["S1-W1", "overloaded"])
    # S1-W2: C3 closed 04-01 → 0 open; leads G1 (sessions, no report → 开展中), April group sessions 04-10, 04-24 = 2
    assert c.loc["S1-W2", ["open_cases", "active_groups", "sessions_month"]].tolist() == [0, 1, 2]
    assert not bool(c.loc["S1-W2", "overloaded"])
    # with the default limit (15) nobody is flagged
    assert not caseload.caseload(ds, "S1", "2025-04-30")["overloaded"].any()
    # overdue records: C1, C2, C4 have sessions but no 接案记录表 etc.; counted from the lifecycle's missing records
    expected = sum(len(t) for t in case_overview(ds, "2025-04-30").set_index("code").loc[["C1", "C2", "C4"],
                                                                                        "missing_records"])
    assert c.loc["S1-W1", "overdue_records"] == expected
    shown = caseload.table(c.reset_index())
    assert list(shown.columns[:2]) == ["人员编码", "社工"] and shown.set_index("人员编码").loc["S1-W1", "个案过多"] == "是"


def test_supervisor_stations_come_from_the_sessions_they_led():
    from sgzlib.errors import NotFoundError

    ds = hand_built()
    # one session: S1-D1, 2025-03-01, led by 王督导
    cover = records.supervisor_stations(ds, "2025-04-30")
    assert cover[["supervisor", "station_code", "sessions"]].values.tolist() == [["王督导", "S1", 1]]
    assert records.stations_of_supervisor(ds, "王督导", "2025-04-30") == ["S1"]
    assert set(cover["source"]) == {records.INFERRED}  # the 社工站 sheet names no supervisor here
    with pytest.raises(NotFoundError, match="督导者「李督导」既不是.*在 2025-04-30 之前也没有带领过任何督导.*已知的督导者：王督导"):
        records.stations_of_supervisor(ds, "李督导", "2025-04-30")
    assert records.supervisor_stations(ds, "2025-02-28").empty  # before the session
