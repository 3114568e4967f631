"""The errors of a refused import as a workbook a station worker can fix from."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ..domain.labels import problem_label
from ..errors import Problem
from ..store.outputs import atomic
from .layout import display_width

COLUMNS = ("序号", "工作表", "行号", "单元格", "列", "填写的值", "问题及改法", "问题类别")


def error_rows(problems: list[Problem], letters: dict[tuple[str, str], str] | None = None) -> list[tuple]:
    """One row of ``COLUMNS`` per problem (the errors workbook, and the table of the upload page)."""
    letters = letters or {}
    out = []
    for i, p in enumerate(problems, 1):
        letter = letters.get((p.where, p.column), "")
        cell = f"{letter}{p.row}" if letter and p.row is not None else ""
        value = "" if p.value is None else str(p.value)
        out.append((i, p.where, p.row, cell, p.column, value, p.message, problem_label(p.code)))
    return out


def write_errors(problems: list[Problem], path: str | Path,
                 letters: dict[tuple[str, str], str] | None = None) -> Path:
    """One row per problem: sheet, Excel row, cell, column, value, Chinese reason (frozen header, filter)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "错误清单"
    ws.append(COLUMNS)
    for row in error_rows(problems, letters):
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FCE4D6")
        cell.alignment = Alignment(horizontal="center")
    for j, name in enumerate(COLUMNS):
        widest = max([display_width(name), *(display_width(r[j].value or "") for r in ws.iter_rows(min_row=2))])
        ws.column_dimensions[chr(ord("A") + j)].width = min(max(widest + 2, 6), 70)
    for row in ws.iter_rows(min_row=2, min_col=7, max_col=7):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    with atomic(path) as partial:
        wb.save(partial)
    return path
