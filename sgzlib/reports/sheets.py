"""A DataFrame as a worksheet that prints: the one way sgz writes a table into an xlsx for people.

Used by the year-end score sheet (``reports.scoresheet``) and the manager's evaluation workbook
(``sgz evaluate --format xlsx``). Every table gets a bold header row with a filter, panes frozen below it,
A4 landscape printing one page wide with the header repeated on each page and page numbers; numbers stay
numbers with a number format (a figure in whole things as an integer: ``domain.figures``), dates are real
dates, long text wraps. Column widths follow the contents and are capped so that the sheet prints at no
less than ``MIN_PRINT_SCALE`` (9 pt from the 11 pt default font).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..domain import figures

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
INTEGER, DECIMAL, DATE = "0", "0.00", "yyyy-mm-dd"
MIN_WIDTH, MAX_WIDTH = 6, 50
# A4 landscape less 0.4" margins prints about 110 character widths of the default font at 100 % (measured
# through LibreOffice); at 82 % (11 pt → 9 pt) about 134. Wider sheets have their text columns narrowed
# (they wrap) to this total.
MIN_PRINT_SCALE = 0.82
PRINT_WIDTH = int(106 / MIN_PRINT_SCALE)  # 129: a little under the measured 110, for LibreOffice's whole-percent scales
NARROWEST_TEXT = 8  # a wrapped text column is never narrowed below this
NUMBER_HEADER = 6  # a number column's header wraps at this width (a number needs less)
CREATOR = "sgz 社工站督导与个案分析工作台"


def set_properties(wb, title: str) -> None:
    """The workbook's title and creator (what a file manager, Excel and a PDF printer show)."""
    wb.properties.title = title
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR


def write_table(ws, frame: pd.DataFrame, header_row: int = 1, formats: dict[str, str] | None = None,
                widths: dict[str, float] | None = None, units: pd.Series | None = None,
                unit_columns: tuple[str, ...] = (), fills: dict[str, PatternFill] | None = None) -> int:
    """Write ``frame`` from ``header_row`` down, formatted for reading and printing; returns its last row.

    ``formats``: number formats by column (others by their values); ``widths``: fixed widths of long text
    columns (they wrap); ``units`` (aligned with the rows) gives the number format of ``unit_columns`` per row
    (whole things as integers, % one decimal, 元 two); ``fills``: a background by column (columns a person
    fills in).
    """
    formats, widths, fills = formats or {}, widths or {}, fills or {}
    columns = list(frame.columns)
    for j, name in enumerate(columns, 1):
        cell = ws.cell(header_row, j, str(name))
        cell.font, cell.border = Font(bold=True), BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.fill = fills.get(name, HEADER_FILL)
    by_values = {name: formats.get(name) or number_format(frame[name]) for name in columns}
    row_units = list(units) if units is not None else [None] * len(frame)
    for i, (values, unit) in enumerate(zip(frame.itertuples(index=False), row_units), header_row + 1):
        for j, (name, value) in enumerate(zip(columns, values), 1):
            cell = ws.cell(i, j, plain(value))
            cell.border = BORDER
            if isinstance(cell.value, dt.date):
                cell.number_format = DATE
            numeric = isinstance(cell.value, numbers.Real) and not isinstance(cell.value, bool)
            cell.alignment = Alignment(wrap_text=not numeric, vertical="top", horizontal="right" if numeric else "left")
            if name in unit_columns and numeric:
                cell.number_format = figures.xlsx_format(unit)
            elif by_values[name] and (numeric or name in fills):
                cell.number_format = by_values[name]
            if name in fills:
                cell.fill = fills[name]
    last = header_row + len(frame)
    chosen = {name: widths.get(name) or column_width(name, frame[name]) for name in columns}
    for name, width in _fit(chosen, (set(widths) & set(columns)) | _text_columns(frame)).items():
        ws.column_dimensions[get_column_letter(columns.index(name) + 1)].width = width
    _row_heights(ws, frame, header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{max(last, header_row)}"
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    print_setup(ws, header_row)
    return last


LINE_POINTS = 15  # one line of the default 11 pt font


def _row_heights(ws, frame: pd.DataFrame, header_row: int) -> None:
    """Each row as tall as its longest wrapped text needs: Excel, WPS and LibreOffice do not grow a row to its
    wrapped text by themselves when printing a file they did not lay out, and a name would be cut."""
    letters = [get_column_letter(j) for j in range(1, len(frame.columns) + 1)]
    rows = [tuple(str(c) for c in frame.columns), *frame.itertuples(index=False)]
    for i, values in enumerate(rows, header_row):
        lines = 1
        for letter, value in zip(letters, values):
            if isinstance(plain(value), str):
                width = max(1.0, (ws.column_dimensions[letter].width or MIN_WIDTH) - 0.5)
                lines = max(lines, sum(math.ceil(max(1, text_width(part)) / width) for part in value.split("\n")))
        if lines > 1:
            ws.row_dimensions[i].height = LINE_POINTS * lines


def _text_columns(frame: pd.DataFrame) -> set[str]:
    return {c for c in frame.columns if number_format(frame[c]) is None}


KEPT_WIDE = {"指标": 20, "说明": 18}  # the indicator's name and its note are narrowed last, never below this


def _fit(widths: dict[str, float], wrapping: set[str]) -> dict[str, float]:
    """Narrow the widest wrapping text columns until the sheet is at most ``PRINT_WIDTH`` wide (or they are
    all at ``NARROWEST_TEXT``; a column of ``KEPT_WIDE`` at its own floor)."""
    widths = dict(widths)
    while sum(widths.values()) > PRINT_WIDTH:
        wide = [c for c in wrapping if widths[c] > KEPT_WIDE.get(c, NARROWEST_TEXT)]
        if not wide:
            break
        widest = max(wide, key=lambda c: widths[c])
        widths[widest] = max(NARROWEST_TEXT, widths[widest] - 1)
    return widths


def print_setup(ws, header_row: int) -> None:
    """A4 landscape, one page wide, the header row repeated on each page, page numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    ws.oddFooter.center.size = 12  # 9 pt or more once the sheet is scaled to the page


def number_format(values: pd.Series) -> str | None:
    """INTEGER when every value is a whole number, DECIMAL for other numbers, None for text."""
    present = values.dropna()
    if present.empty or not present.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)).all():
        return None
    return INTEGER if present.map(lambda v: float(v).is_integer()).all() else DECIMAL


def text_width(text: str) -> int:
    """Display width in Excel characters: a Chinese character counts two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def column_width(name: str, values: pd.Series) -> float:
    """A width that shows the header and typical values without wasting the page."""
    shown = [text_width(_shown(v)) for v in values.head(200) if plain(v) is not None]
    body = sorted(shown)[int(0.9 * (len(shown) - 1))] if shown else 0
    header = min(text_width(str(name)), 16 if number_format(values) is None else NUMBER_HEADER)
    return float(max(MIN_WIDTH, min(MAX_WIDTH, max(body, header) + 2)))


def _shown(value) -> str:
    """About what a cell shows: a date as 2025-10-31, a number with at most three decimals (its format's)."""
    value = plain(value)
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def plain(value):
    """A value openpyxl can write: no pandas NA, timestamps as dates, numpy numbers as Python numbers."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value
