"""The Excel score sheet of a year-end assessment, with columns the evaluator fills in.

Every sheet prints on A4 landscape, one page wide, with its header row
repeated on each page; the header row has filters and the panes are frozen
below it; numbers are stored as numbers with a number format (p-values too),
and column widths follow their contents. Points and a system score appear only
when the assessment was run with the evaluator's scoring scheme.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..domain.labels import EXPLAIN_HEADERS, YES_NO, reason_labels
from ..store.outputs import atomic

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EVALUATOR_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FIRST_ROW = 4  # header row of the score table
EVALUATOR_COLUMNS = ("评估员得分", "评估员意见")
# Number formats by column; other numeric columns get INTEGER or DECIMAL by their values.
FORMATS = {"t 检验 p": "0.000", "Wilcoxon p": "0.000", "分值": "General", "系统得分": "0.00", "评估员得分": "0.0"}
INTEGER, DECIMAL = "0", "0.00"
MIN_WIDTH, MAX_WIDTH = 6, 50
# Long text columns wrap at these widths; with the others sized to their contents the score table
# fits one A4 landscape page wide at about 80 %.
WIDE = {"说明": 36, "计分规则": 20, "评估员意见": 20, "原因": 36, "未计入原因（条数）": 36, "指标": 28}


def write_scoresheet(report, path) -> None:
    """Write ``report`` (an ``AssessmentReport``) to ``path`` as .xlsx."""
    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    _score_sheet(ws, report)
    _frame_sheet(wb.create_sheet("证据明细"), _evidence(report), "各指标计入与未计入的记录（完整明细）")
    _frame_sheet(wb.create_sheet("前后测"), report.outcome_summary(numeric=True), "服务对象前后测统计")
    _frame_sheet(wb.create_sheet("待完成事项"), report.unticked(), "尚未勾选的检查项与待核验指标")
    with atomic(path) as partial:
        wb.save(partial)


def _score_sheet(ws, report) -> None:
    table = report.score_table()
    scored = "得分" in table
    if "评估员得分" not in table:  # nothing entered yet (``actions.scores``): the columns to fill in by hand
        at = table.columns.get_loc("得分") + 1 if scored else table.columns.get_loc("说明")
        table.insert(at, "评估员得分", None)
        table.insert(table.columns.get_loc("评估员得分") + 1, "评估员意见", None)
    table = table.rename(columns={"得分": "系统得分"})
    ws["A1"] = report.title
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = report.subtitle
    ws["A3"] = report.scoring_note() + "黄色列由评估员填写；合计行自动求和。"
    last = _write_table(ws, table, FIRST_ROW)
    columns = list(table.columns)
    # the title lines wrap inside the table's width (an overflowing line would widen the printed page)
    end = get_column_letter(len(columns))
    for row, height in ((2, 32), (3, 46)):
        ws.merge_cells(f"A{row}:{end}{row}")
        ws[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = height
    total = last + 1
    ws.cell(total, columns.index("指标") + 1, "合计").font = Font(bold=True)
    for name in ("分值", "系统得分", "评估员得分"):
        if name not in columns:
            continue
        col = get_column_letter(columns.index(name) + 1)
        cell = ws.cell(total, columns.index(name) + 1, f"=SUM({col}{FIRST_ROW + 1}:{col}{last})")
        cell.font, cell.border, cell.number_format = Font(bold=True), BORDER, FORMATS[name]
    if len(table):
        score = get_column_letter(columns.index("评估员得分") + 1)
        if "分值" in columns:
            points = get_column_letter(columns.index("分值") + 1)
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=f"{points}{FIRST_ROW + 1}",
                                allow_blank=True, showErrorMessage=True, errorTitle="得分超出范围",
                                error="评估员得分应在 0 到该指标分值之间")
        else:
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="得分无效", error="评估员得分应为不小于 0 的数")
        dv.add(f"{score}{FIRST_ROW + 1}:{score}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(FIRST_ROW + 1, columns.index("指标") + 2)


def _evidence(report) -> pd.DataFrame:
    ex = report.explanations
    if ex.empty:
        return pd.DataFrame()
    names = report.summary.set_index("indicator_id")["indicator_name"]
    h = EXPLAIN_HEADERS
    return pd.DataFrame({h["indicator_id"]: ex["indicator_id"], "指标": ex["indicator_id"].map(names),
                         h["period"]: ex["period"], "台账": ex["record_table"], "记录": ex["record_id"],
                         h["counted"]: ex["counted"].astype(bool).map(YES_NO),
                         h["reason_code"]: reason_labels(ex["reason_code"]), h["reason"]: ex["reason"]})


def _frame_sheet(ws, frame: pd.DataFrame, title: str) -> None:
    ws["A1"] = title
    ws["A1"].font = Font(size=12, bold=True)
    if frame is None or frame.empty:
        ws["A3"] = "无"
        return
    _write_table(ws, frame, 3)
    ws.freeze_panes = "A4"


def _write_table(ws, frame: pd.DataFrame, header_row: int) -> int:
    """Header, rows, formats, widths, filter and print setup; returns the last data row."""
    columns = list(frame.columns)
    for j, name in enumerate(columns, 1):
        cell = ws.cell(header_row, j, str(name))
        cell.font, cell.border = Font(bold=True), BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.fill = EVALUATOR_FILL if name in EVALUATOR_COLUMNS else HEADER_FILL
    formats = {name: FORMATS.get(name) or _number_format(frame[name]) for name in columns}
    for i, values in enumerate(frame.itertuples(index=False), header_row + 1):
        for j, (name, value) in enumerate(zip(columns, values), 1):
            cell = ws.cell(i, j, plain(value))
            cell.border = BORDER
            numeric = isinstance(cell.value, numbers.Real) and not isinstance(cell.value, bool)
            cell.alignment = Alignment(wrap_text=not numeric, vertical="top",
                                       horizontal="right" if numeric else "left")
            if formats[name] and (numeric or name in EVALUATOR_COLUMNS):
                cell.number_format = formats[name]
            if name in EVALUATOR_COLUMNS:
                cell.fill = EVALUATOR_FILL
    last = header_row + len(frame)
    for j, name in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(j)].width = column_width(name, frame[name])
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{max(last, header_row)}"
    _print_setup(ws, header_row)
    return last


def _print_setup(ws, header_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"


def _number_format(values: pd.Series) -> str | None:
    present = values.dropna()
    if present.empty or not present.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)).all():
        return None
    return INTEGER if present.map(lambda v: float(v).is_integer()).all() else DECIMAL


def text_width(text: str) -> int:
    """Display width in Excel characters: a Chinese character counts two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def column_width(name: str, values: pd.Series) -> float:
    """A width that shows the header and typical values without wasting the page."""
    if name in WIDE:
        return WIDE[name]
    shown = [text_width(str(plain(v))) for v in values.head(200) if plain(v) is not None]
    body = sorted(shown)[int(0.9 * (len(shown) - 1))] if shown else 0
    header = min(text_width(str(name)), 16)
    return float(max(MIN_WIDTH, min(MAX_WIDTH, max(body, header) + 2)))


def plain(value):
    """A value openpyxl can write: no pandas NA, timestamps as dates, numpy numbers as Python numbers."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value
