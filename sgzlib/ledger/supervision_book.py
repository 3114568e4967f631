"""The 督导记录 workbook of a coming session, and the import hook that turns its rows into action-item history.

- ``write_session_workbook``: the pre-filled workbook (one row per agenda item and per open action item),
  read back by ``sgz import``.
- ``add_history``: on import, a 督导议程记录 sheet appends to the action item history (append-only).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.supervision_cycle import action_register
from ..domain import schema
from ..domain.labels import ACTION_OPEN, SESSION_FILLED
from ..domain.supervision_records import HISTORY, ITEMS, _ts, derived_history, history, session_code, sessions
from ..domain.vocab import VOCABS
from ..errors import Problem
from . import layout
from .ledger import norm_key

__all__ = ["ACTION_TOPIC", "add_history", "session_rows", "write_session_workbook"]

ACTION_TOPIC = "督导行动项"


def add_history(ledger, current) -> None:
    """Import hook: a workbook with a 督导议程记录 sheet also appends to the action item history.

    The history of the workbook's stations already in the database is carried along (so ``--prune`` never
    drops it); a session that already recorded a status for an item cannot record another (append-only).
    """
    if "supervision_items" not in ledger.frames:
        return
    items = ledger.frames["supervision_items"]
    known = history(current)
    new = derived_history(items, known)
    stations = set(items["station_code"].dropna())
    kept = current.action_history[current.action_history["station_code"].isin(stations)]
    old = current.action_history.set_index(["action_code", "session_code"])["status"]
    for _, r in new.iterrows():
        k = (r["action_code"], r["session_code"])
        if k in old.index and old[k] != r["status"]:
            title, row = ledger.rowmap("supervision_items").get(_norm((r["session_code"], r["item_no"])), (ITEMS.sheet, None))
            ledger.problems.append(Problem(
                "history_append_only", f"行动项 {k[0]} 在督导 {k[1]} 中已记录为「{old[k]}」，行动项历史只增不改："
                "如情况有变，请在下一次督导中记录", where=title, row=row, column=ITEMS.column("status").header,
                value=r["status"], key=(r["session_code"], r["item_no"])))
    parts = [kept, new] + ([ledger.frames["action_history"]] if "action_history" in ledger.frames else [])
    merged = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else new
    merged = merged.drop_duplicates(["action_code", "session_code"], keep="first")
    ledger.frames["action_history"] = schema.coerce_frame(HISTORY, merged)
    ledger.places.setdefault("action_history", [])


def _norm(key):
    return norm_key(key)


def session_rows(ds, station: str, as_of, agenda: pd.DataFrame, supervisor: str | None = None) -> pd.DataFrame:
    """The rows of the coming session's workbook: the agenda items, then every open action item to review."""
    date = _ts(as_of)
    code = session_code(station, date)
    past = sessions(ds, station, date)
    if supervisor is None:
        supervisor = past["supervisor"].iloc[-1] if len(past) else None
    rows = []
    for _, a in agenda[agenda["topic"] != ACTION_TOPIC].iterrows():
        n = len(rows) + 1
        rows.append({"item_no": n, "level": a["level"], "topic": a["topic"], "item": a.get("what", a["item"]),
                     "why": a.get("why"), "records": a.get("records"), "action_code": f"{code}-{n:02d}"})
    for _, r in action_register(ds, station, date).iterrows():
        if r["status"] not in ACTION_OPEN:
            continue
        why = "、".join(r["flags"]) or "上次督导的行动项"
        rows.append({"item_no": len(rows) + 1, "level": "复核", "topic": ACTION_TOPIC,
                     "item": f"复核行动项（{r['date']:%Y-%m-%d} 督导提出，现为「{r['status']}」）", "why": why,
                     "records": r["code"], "action_code": r["code"], "action": r["action"], "owner_code": r["owner_code"],
                     "due": r["due"], "status": r["status"]})
    frame = pd.DataFrame(rows, columns=[c for c in ITEMS.names if c not in ("session_code", "station_code", "date",
                                                                            "supervisor")])
    frame.insert(0, "session_code", code)
    frame.insert(2, "station_code", station)
    frame.insert(3, "date", date)
    frame.insert(4, "supervisor", supervisor)
    return schema.coerce_frame(ITEMS, frame)


def write_session_workbook(ds, station: str, as_of, agenda: pd.DataFrame, path: str | Path,
                           supervisor: str | None = None) -> Path:
    """The pre-filled 督导记录 workbook of ``station``'s session on ``as_of`` at ``path``.

    The 督导议程记录 sheet has the table's headers (so ``sgz import`` reads it back); the 责任人编码 column has a
    drop-down of the station's current staff, 完成情况 one of the statuses.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = session_rows(ds, station, as_of, agenda, supervisor)
    when = _ts(as_of)
    staff = ds.staff[ds.staff["station_code"].isin(ds.descendants(station)) & (ds.staff["joined"].isna() | (ds.staff["joined"] <= when))
                     & (ds.staff["left"].isna() | (ds.staff["left"] > when))]
    wb = Workbook()
    guide = wb.active
    guide.title = "说明"
    name = ds.stations.set_index("code")["name"].get(station, station)
    for line in (f"{name}督导记录（{when:%Y-%m-%d}）", f"督导编号 {rows['session_code'].iloc[0] if len(rows) else session_code(station, when)}",
                 "议程已按督导报告预填。督导时或督导后填写：形式（下拉选择）、参加人员、讨论情况、决定、行动项、责任人编码（下拉选择）、"
                 "期限、完成情况（下拉选择）。形式和参加人员填在第一行即可。",
                 "复核上次行动项：在原行上改完成情况即可（未开始 → 进行中 → 已完成 / 已取消，已完成或已取消的不能再改回）。",
                 "填好后用 sgz import 导入；有任何错误时整体不写入，并列出工作表、行、列。重复导入同一文件不会重复记录。",
                 "督导日期和督导者已预填，如实际不同请改正。"):
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 100
    ws = wb.create_sheet(ITEMS.sheet)
    filled = PatternFill("solid", fgColor="FFF2CC")
    head = PatternFill("solid", fgColor="DDEBF7")
    ws.append([c.header for c in ITEMS.columns])
    for i, c in enumerate(ITEMS.columns, 1):
        cell = ws.cell(1, i)
        cell.font = Font(bold=True, color="C00000" if c.required else "000000")
        cell.fill = filled if c.name in SESSION_FILLED else head
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(c.name, 12)
    for _, r in rows.iterrows():
        ws.append([_cell(r[c.name]) for c in ITEMS.columns])
    last = max(len(rows) + 1, 2) + 20
    for i, c in enumerate(ITEMS.columns, 1):
        if c.kind == "date":
            for n in range(2, last + 1):
                ws.cell(n, i).number_format = "yyyy-mm-dd"
        if layout.holds_codes(c):
            for n in range(2, last + 1):
                ws.cell(n, i).number_format = "@"
        for n in range(2, len(rows) + 2):
            ws.cell(n, i).alignment = Alignment(wrap_text=True, vertical="top")
    for name in ("status", "form"):
        _dropdown(ws, DataValidation, get_column_letter(ITEMS.names.index(name) + 1), last,
                  '"' + ",".join(VOCABS[ITEMS.column(name).vocab].values) + '"')
    lists = wb.create_sheet("可选责任人")
    for _, s in staff.sort_values("code").iterrows():
        lists.append([s["code"], s["name"]])
    lists.sheet_state = "hidden"
    if len(staff):
        _dropdown(ws, DataValidation, get_column_letter(ITEMS.names.index("owner_code") + 1), last,
                  f"'可选责任人'!$A$1:$A${len(staff)}")
    ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _cell(value):
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _dropdown(ws, DataValidation, letter: str, last: int, formula: str) -> None:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                        errorTitle="不在可选范围内", error="请从下拉列表中选择")
    dv.add(f"{letter}2:{letter}{last}")
    ws.data_validations.append(dv)



_WIDTHS = {"session_code": 16, "item": 40, "why": 24, "records": 30, "discussion": 30, "decision": 24, "action": 30,
           "action_code": 18, "owner_code": 14, "due": 12, "status": 10, "topic": 12, "level": 8, "item_no": 8,
           "form": 8, "participants": 20}


