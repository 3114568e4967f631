"""The Excel score sheet of a year-end assessment, with columns the evaluator fills in.

Every sheet is written by ``reports.sheets`` (A4 landscape one page wide at 9 pt or more, header repeated,
filters, frozen panes, numbers as numbers, counts of whole things as integers, real dates). 评分表 and
证据明细 share the key 指标编号. Points, a system score and the 合计 row (whose 分值 total is the maximum)
appear only when the assessment was run with the evaluator's scoring scheme; the workbook's title and
creator are set.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..domain.labels import EXPLAIN_HEADERS, RESULT_HEADERS, YES_NO, reason_labels
from ..store.outputs import atomic
from .sheets import BORDER, set_properties, write_table

EVALUATOR_FILL = PatternFill("solid", fgColor="FFF2CC")
FIRST_ROW = 4  # header row of the score table
EVALUATOR_COLUMNS = ("评估员得分", "评估员意见")
# Number formats by column; other numeric columns get an integer or decimal format by their values, and
# 目标 / 实际 one by the row's unit (``domain.figures``: whole things as integers).
FORMATS = {"t 检验 p": "0.000", "Wilcoxon p": "0.000", "分值": "General", "系统得分": "0.00", "评估员得分": "0.0"}
FIGURES = ("目标", "实际")
# Long text columns wrap at these widths; with the others sized to their contents the score table
# fits one A4 landscape page wide at no less than 9 pt.
WIDE = {"说明": 36, "计分规则": 20, "评估员意见": 20, "原因": 36, "未计入原因（条数）": 36, "指标": 28}
ID = RESULT_HEADERS["indicator_id"]


def write_scoresheet(report, path) -> None:
    """Write ``report`` (an ``AssessmentReport``) to ``path`` as .xlsx."""
    wb = Workbook()
    set_properties(wb, f"{report.title}：评分表")
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
    ws["A3"] = report.scoring_note() + ("黄色列由评估员填写；合计行自动求和，分值的合计即满分。" if scored else
                                        "黄色列由评估员填写。")
    last = write_table(ws, table, FIRST_ROW, formats=FORMATS, widths=WIDE, units=report.summary["unit"],
                       unit_columns=FIGURES, fills={c: EVALUATOR_FILL for c in EVALUATOR_COLUMNS})
    columns = list(table.columns)
    # the title lines wrap inside the table's width (an overflowing line would widen the printed page)
    end = get_column_letter(len(columns))
    for row, height in ((2, 32), (3, 46)):
        ws.merge_cells(f"A{row}:{end}{row}")
        ws[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = height
    if scored:
        _total_row(ws, columns, last)
    if len(table):
        _score_validation(ws, columns, last)
    ws.freeze_panes = ws.cell(FIRST_ROW + 1, columns.index("指标") + 2)


def _total_row(ws, columns: list[str], last: int) -> None:
    """合计 under a scheme: the points (满分), the system's and the evaluator's scores, summed by formulas."""
    total = last + 1
    ws.cell(total, columns.index("指标") + 1, "合计（分值合计即满分）").font = Font(bold=True)
    for name in ("分值", "系统得分", "评估员得分"):
        col = get_column_letter(columns.index(name) + 1)
        cell = ws.cell(total, columns.index(name) + 1, f"=SUM({col}{FIRST_ROW + 1}:{col}{last})")
        cell.font, cell.border, cell.number_format = Font(bold=True), BORDER, FORMATS[name]


def _score_validation(ws, columns: list[str], last: int) -> None:
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


def _evidence(report) -> pd.DataFrame:
    """Every counted and uncounted record, keyed by 指标编号 like the 评分表."""
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
    write_table(ws, frame, 3, formats=FORMATS, widths={k: v for k, v in WIDE.items() if k in frame})
