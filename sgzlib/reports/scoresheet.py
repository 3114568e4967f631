"""The Excel score sheet of a year-end assessment, with columns the evaluator fills in."""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..outputs import atomic

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EVALUATOR_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FIRST_ROW = 4  # header row of the score table
EVALUATOR_COLUMNS = ("评估员得分", "评估员意见")


def write_scoresheet(report, path) -> None:
    """Write ``report`` (an ``AssessmentReport``) to ``path`` as .xlsx."""
    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    _score_sheet(ws, report)
    _frame_sheet(wb.create_sheet("证据明细"), _evidence(report), "各指标计入与未计入的记录（完整明细）")
    _frame_sheet(wb.create_sheet("前后测"), report.outcome_summary(), "服务对象前后测统计")
    _frame_sheet(wb.create_sheet("待完成事项"), report.unticked(), "尚未勾选的检查项与待核验指标")
    with atomic(path) as partial:
        wb.save(partial)


def _score_sheet(ws, report) -> None:
    table = report.score_table()
    table.insert(table.columns.get_loc("得分") + 1, "评估员得分", None)
    table.insert(table.columns.get_loc("评估员得分") + 1, "评估员意见", None)
    table = table.rename(columns={"得分": "系统得分"})
    ws["A1"] = report.title
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = report.subtitle + "。黄色列由评估员填写；合计行自动求和。"
    columns = list(table.columns)
    for j, name in enumerate(columns, 1):
        cell = ws.cell(FIRST_ROW, j, name)
        cell.font, cell.border, cell.alignment = Font(bold=True), BORDER, Alignment(wrap_text=True)
        cell.fill = EVALUATOR_FILL if name in EVALUATOR_COLUMNS else HEADER_FILL
    for i, values in enumerate(table.itertuples(index=False), FIRST_ROW + 1):
        for j, (name, value) in enumerate(zip(columns, values), 1):
            cell = ws.cell(i, j, _plain(value))
            cell.border, cell.alignment = BORDER, Alignment(wrap_text=True, vertical="top")
            if name in EVALUATOR_COLUMNS:
                cell.fill = EVALUATOR_FILL
    last = FIRST_ROW + len(table)
    total = last + 1
    ws.cell(total, columns.index("指标") + 1, "合计").font = Font(bold=True)
    for name in ("分值", "系统得分", "评估员得分"):
        col = get_column_letter(columns.index(name) + 1)
        cell = ws.cell(total, columns.index(name) + 1, f"=SUM({col}{FIRST_ROW + 1}:{col}{last})")
        cell.font, cell.border = Font(bold=True), BORDER
    points = get_column_letter(columns.index("分值") + 1)
    score = get_column_letter(columns.index("评估员得分") + 1)
    if len(table):
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=f"{points}{FIRST_ROW + 1}",
                            allow_blank=True, showErrorMessage=True, errorTitle="得分超出范围",
                            error="评估员得分应在 0 到该指标分值之间")
        dv.add(f"{score}{FIRST_ROW + 1}:{score}{last}")
        ws.add_data_validation(dv)
    widths = {"序号": 6, "领域": 12, "指标": 36, "类型": 6, "说明": 48, "评估员意见": 30}
    for j, name in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(name, 11)
    ws.freeze_panes = ws.cell(FIRST_ROW + 1, columns.index("指标") + 2)


def _evidence(report) -> pd.DataFrame:
    ex = report.explanations
    if ex.empty:
        return pd.DataFrame()
    names = report.summary.set_index("indicator_id")["indicator_name"]
    return pd.DataFrame({"指标编号": ex["indicator_id"], "指标": ex["indicator_id"].map(names),
                         "期间": ex["period"], "台账": ex["record_table"], "记录": ex["record_id"],
                         "是否计入": ex["counted"].astype(bool).map({True: "是", False: "否"}),
                         "原因代码": ex["reason_code"], "原因": ex["reason"]})


def _frame_sheet(ws, frame: pd.DataFrame, title: str) -> None:
    ws["A1"] = title
    ws["A1"].font = Font(size=12, bold=True)
    if frame is None or frame.empty:
        ws["A3"] = "无"
        return
    for j, name in enumerate(frame.columns, 1):
        cell = ws.cell(3, j, str(name))
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BORDER
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(50, 2 * len(str(name)) + 4))
    for i, values in enumerate(frame.itertuples(index=False), 4):
        for j, value in enumerate(values, 1):
            ws.cell(i, j, _plain(value)).border = BORDER
    ws.freeze_panes = "A4"


def _plain(value):
    """A value openpyxl can write: no pandas NA, timestamps as dates."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value
