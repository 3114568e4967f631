"""Workbooks for the ledger tests: a small valid station ledger, written cell by cell with openpyxl.

``BASE`` is one township station S1 (project 2025, one worker, two people, two
services, one case with two sessions, one group with two sessions, a pre and
a post test). Its sheets start with the header in row 1, so the first data
row of every sheet is Excel row 2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from openpyxl import Workbook

from sgzlib.domain import schema

D = dt.date.fromisoformat

BASE: dict[str, list[dict]] = {
    "stations": [{"code": "S1", "name": "甲街道社会工作服务站", "level": "乡镇街道站", "district": "测试区"},
                 {"code": "S2", "name": "乙镇社会工作服务站", "level": "乡镇街道站", "district": "测试区"}],
    "projects": [{"code": "P1", "station_code": "S1", "year": 2025, "start": D("2025-01-01"), "end": D("2025-12-31"),
                  "budget": 100000.0, "catalogue": "zhalainuoer-2026"}],
    "staff": [{"code": "W1", "name": "王芳", "station_code": "S1", "certificate": "社会工作师",
               "joined": D("2024-01-01")}],
    "beneficiaries": [
        {"code": "B1", "name": "张三", "station_code": "S1", "category": "困难老人", "joined": D("2025-01-01"),
         "follow_up": True},
        {"code": "B2", "name": "李四", "station_code": "S1", "category": "社会救助", "joined": D("2025-03-01")},
        {"code": "B9", "name": "赵九", "station_code": "S2", "category": "残疾人", "joined": D("2025-01-01")}],
    "services": [
        {"code": "S001", "station_code": "S1", "date": D("2025-03-05"), "domain": "养老服务", "category": "关爱帮扶",
         "beneficiary_codes": "B1、B2", "attendance": 2, "photos": "s001.jpg", "uploaded": True},
        {"code": "S002", "station_code": "S1", "date": D("2025-04-01"), "domain": "社会救助", "category": "资源链接",
         "beneficiary_codes": "B1", "attendance": 1, "photos": "s002.jpg", "uploaded": False}],
    "cases": [{"code": "C1", "station_code": "S1", "beneficiary_code": "B1", "domain": "养老服务",
               "worker_code": "W1", "opened": D("2025-02-01"), "closed": D("2025-06-30"), "close_reason": "目标达成"}],
    "case_sessions": [{"case_code": "C1", "seq": 1, "date": D("2025-02-10"), "mode": "入户", "minutes": 60},
                      {"case_code": "C1", "seq": 2, "date": D("2025-03-10"), "mode": "面谈", "minutes": 45}],
    "groups": [{"code": "G1", "station_code": "S1", "domain": "养老服务", "name": "乐龄小组", "leader_code": "W1"}],
    "group_sessions": [{"group_code": "G1", "seq": 1, "date": D("2025-03-01"), "attendance": 8, "sign_in": True},
                       {"group_code": "G1", "seq": 2, "date": D("2025-03-08"), "attendance": 7, "sign_in": True}],
    "measurements": [{"beneficiary_code": "B1", "scale": "SSRS", "phase": "前测", "date": D("2025-02-01"),
                      "score": 30.0, "case_code": "C1"},
                     {"beneficiary_code": "B1", "scale": "SSRS", "phase": "后测", "date": D("2025-06-30"),
                      "score": 41.0, "case_code": "C1"}],
}


def header(table: str) -> list[str]:
    return [c.header for c in schema.TABLE_BY_NAME[table].columns]


def rows(table: str, records: list[dict] | None = None) -> list[list]:
    """Header row then one row per record, in the declared column order."""
    records = BASE[table] if records is None else records
    names = schema.TABLE_BY_NAME[table].names
    return [header(table)] + [[r.get(n) for n in names] for r in records]


def base_sheets(**changes: list[list]) -> dict[str, list[list]]:
    """Sheet title → rows of ``BASE``, with some sheets replaced (by table name) or dropped (``None``)."""
    out = {}
    for table in BASE:
        title = schema.TABLE_BY_NAME[table].sheet
        if table in changes:
            if changes[table] is not None:
                out[title] = changes[table]
        else:
            out[title] = rows(table)
    return out


def write_book(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
               formats: dict[tuple[str, str], str] | None = None) -> Path:
    """A workbook with these sheets and rows; ``merges`` per sheet; ``formats`` (sheet, cell) → number format."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, sheet_rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in sheet_rows:
            ws.append(row)
        for ref in (merges or {}).get(title, []):
            ws.merge_cells(ref)
    for (title, ref), fmt in (formats or {}).items():
        wb[title][ref].number_format = fmt
    wb.save(path)
    return path


def set_cell(sheets: dict[str, list[list]], title: str, row: int, header_text: str, value) -> dict:
    """A copy of ``sheets`` with one cell (Excel row, column by header) replaced."""
    out = {t: [list(r) for r in rs] for t, rs in sheets.items()}
    col = out[title][0].index(header_text)
    out[title][row - 1][col] = value
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
