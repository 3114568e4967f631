"""督导记录 in the browser, without a browser: prepare a session from the agenda, record it, change a status.

The demo district on SQLite. YL01's session on 2025-11-05: its station report's agenda has 11 items and 5
open action items to review, overdue first (YL01-D3, YL01-D4, YL01-S20251020-04, YL01-S20250918-02, YL01-S20251020-03); its staff in post
are YL01-W1 吴华, YL01-W2 戴超军, YL01-W3 谭桂秀 (the demo's staff sheet).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sgzlib.actions import supervision as sv
from sgzlib.domain.labels import ACTION_DONE, ACTION_IN_PROGRESS, ACTION_NOT_STARTED
from sgzlib.errors import DataError, NotAllowedError
from sgzlib.store import audit, storage
from sgzlib.store.access import User
from sgzlib.workbench import Workbench

DAY = dt.date(2025, 11, 5)
WANG = User("wang", "督导", masked=False, stations=("YL01", "YL02"), name="王督导")
OPEN_ITEMS = ["YL01-D3", "YL01-D4", "YL01-S20251020-04", "YL01-S20250918-02", "YL01-S20251020-03"]


@pytest.fixture
def engine(demo_db_copy):
    return storage.connect(f"sqlite:///{demo_db_copy}")


@pytest.fixture(scope="module")
def wb(demo_ds):
    return Workbench(demo_ds, masked=True, as_of=DAY)


def test_the_draft_is_the_station_reports_agenda_and_the_open_items(engine, wb):
    draft = sv.prepare(wb, engine, WANG, "YL01", DAY)
    agenda = wb.station("YL01").attention("YL01").agenda
    expected = agenda[agenda["topic"] != "督导行动项"]["what"].tolist()
    assert draft.agenda["item"].tolist() == expected and len(expected) == 11
    assert draft.reviews["action_code"].tolist() == OPEN_ITEMS
    assert draft.session_code == "YL01-S20251105"
    # staff by name, as stored (not masked): the supervisor sees who owns an action item
    assert draft.staff[["code", "name"]].values.tolist() == [["YL01-W1", "吴华"], ["YL01-W2", "戴超军"],
                                                              ["YL01-W3", "谭桂秀"]]
    assert draft.supervisor == "王督导"


def _entry(draft, **changes):
    entry = sv.Entry(supervisor="王督导", form="现场", participants=("吴华", "戴超军"),
                     notes=(sv.AgendaNote(1, "逐项过了落后的指标", "本月补齐入户评估"),),
                     actions=(sv.NewAction("补齐 3 户入户需求评估", "YL01-W1", dt.date(2025, 11, 30), item_no=1),
                              sv.NewAction("整理小组签到表", "YL01-W2", dt.date(2025, 11, 20), item_no=None)),
                     reviews={"YL01-D3": ACTION_DONE})
    return sv.Entry(**{**entry.__dict__, **changes})


def test_a_session_with_two_action_items_lands_in_the_ledger_tables(engine, wb):
    draft = sv.prepare(wb, engine, WANG, "YL01", DAY)
    before = storage.load_dataset(engine, "YL01")
    sv.record(engine, WANG, draft, _entry(draft))
    after = storage.load_dataset(engine, "YL01")
    items = after.supervision_items[after.supervision_items["session_code"] == "YL01-S20251105"]
    # 11 agenda rows + 5 review rows + 1 row for the action item that follows no agenda item
    assert len(items) == 17
    first = items[items["item_no"] == 1].iloc[0]
    assert (first["discussion"], first["decision"], first["action"], first["owner_code"]) == \
        ("逐项过了落后的指标", "本月补齐入户评估", "补齐 3 户入户需求评估", "YL01-W1")
    assert first["form"] == "现场" and first["participants"] == "吴华、戴超军" and first["supervisor"] == "王督导"
    extra = items[items["item_no"] == 17].iloc[0]
    assert (extra["action_code"], extra["topic"], extra["due"]) == ("YL01-S20251105-17", "其他", pd.Timestamp("2025-11-20"))
    # history: the two new items 未开始, the reviewed YL01-D3 已完成, the other four carried at their status
    new = after.action_history[after.action_history["session_code"] == "YL01-S20251105"].set_index("action_code")
    assert new["status"].to_dict() == {"YL01-S20251105-01": ACTION_NOT_STARTED, "YL01-S20251105-17": ACTION_NOT_STARTED,
                                       "YL01-D3": ACTION_DONE, "YL01-D4": ACTION_IN_PROGRESS,
                                       "YL01-S20250918-02": ACTION_IN_PROGRESS,
                                       "YL01-S20251020-04": ACTION_IN_PROGRESS,
                                       "YL01-S20251020-03": ACTION_NOT_STARTED}
    assert len(after.action_history) == len(before.action_history) + 7
    row = audit.read(engine).iloc[-1]
    assert (row["action"], row["login"], row["stations"], row["new"]) == ("supervision", "wang", "YL01", 17 + 7)
    # the same session cannot be recorded twice
    with pytest.raises(DataError) as exc:
        sv.record(engine, WANG, draft, _entry(draft))
    assert "已经记录过" in str(exc.value)


def test_bad_entries_are_refused_whole_and_nothing_is_written(engine, wb):
    draft = sv.prepare(wb, engine, WANG, "YL01", DAY)
    bad = _entry(draft, form=None, actions=(
        sv.NewAction("走访", "YL02-W1", dt.date(2025, 11, 30)),  # another station's worker
        sv.NewAction("", "YL01-W1", dt.date(2025, 10, 1)),  # no text, due before the session
    ))
    rows = len(audit.read(engine))
    with pytest.raises(DataError) as exc:
        sv.record(engine, WANG, draft, bad)
    found = {(p.where, p.code) for p in exc.value.problems}
    assert found == {("督导记录", "required"), ("新行动项第1项", "owner_elsewhere"), ("新行动项第2项", "required"),
                     ("新行动项第2项", "dates_out_of_order")}
    assert len(audit.read(engine)) == rows
    assert not storage.load_dataset(engine, "YL01").supervision_items["session_code"].eq("YL01-S20251105").any()


def test_the_ledger_checks_run_on_the_form_too(engine, wb):
    """A review the state machine refuses is found by the import's own check (record_problems), on 第 N 项."""
    draft = sv.prepare(wb, engine, WANG, "YL01", DAY)
    with pytest.raises(DataError) as exc:
        sv.record(engine, WANG, draft, _entry(draft, reviews={"YL01-D4": ACTION_NOT_STARTED}))
    [problem] = exc.value.problems
    assert problem.where == "督导记录第13项" and "不能从「进行中」改为「未开始」" in problem.message


def test_roles_and_scope_are_checked(engine, wb):
    draft = sv.prepare(wb, engine, WANG, "YL01", DAY)
    evaluator = User("ping", "评估方", masked=True, districts=("云岭区",))
    with pytest.raises(NotAllowedError, match="不能记录督导"):
        sv.record(engine, evaluator, draft, _entry(draft))
    li = User("li", "督导", masked=False, stations=("YL03",))
    with pytest.raises(NotAllowedError, match="权限范围不包括站点 YL01"):
        sv.record(engine, li, draft, _entry(draft))


def test_a_status_change_is_appended_with_its_note(engine, wb):
    draft = sv.prepare(wb, engine, WANG, "YL01", DAY)
    sv.record(engine, WANG, draft, _entry(draft))
    code = "YL01-S20251105-17"
    sv.change_status(engine, WANG, code, ACTION_IN_PROGRESS, "已开始整理", dt.date(2025, 11, 10))
    sv.change_status(engine, WANG, code, ACTION_DONE, "签到表已补齐并归档", dt.date(2025, 11, 10))
    reg, hist = sv.action_items(engine, "YL01", dt.date(2025, 11, 12))
    item = reg.set_index("code").loc[code]
    assert item["status"] == ACTION_DONE and item["owner_name"] == "戴超军"
    assert item["carried_over"] == 0  # changes between sessions carry nothing over
    mine = hist[hist["action_code"] == code]
    assert mine[["session_code", "status", "note"]].fillna("").values.tolist() == [
        ["YL01-U20251110-02", ACTION_DONE, "签到表已补齐并归档"],
        ["YL01-U20251110-01", ACTION_IN_PROGRESS, "已开始整理"],
        ["YL01-S20251105", ACTION_NOT_STARTED, ""]]
    assert audit.read(engine)["action"].tolist()[-2:] == ["action_status", "action_status"]
    with pytest.raises(DataError, match="不能从「已完成」改为「进行中」"):
        sv.change_status(engine, WANG, code, ACTION_IN_PROGRESS, "重新打开", dt.date(2025, 11, 11))
    with pytest.raises(DataError, match="请写明说明"):
        sv.change_status(engine, WANG, "YL01-D4", ACTION_DONE, " ", dt.date(2025, 11, 11))
    with pytest.raises(DataError, match="早于该行动项上次记录的日期"):
        sv.change_status(engine, WANG, "YL01-D4", ACTION_DONE, "完成", dt.date(2025, 11, 1))
