"""Writing ledger workbooks: the blank template and exports of the database, in the contract's layout.

Both are the same workbook: a 说明 sheet first, then one sheet per table of
``schema`` with the header in row 1 (frozen), column widths that fit the
Chinese headers, text-formatted code columns (every code of an export is a
text cell formatted as text, so a round trip keeps ``001``), date-formatted date columns and
drop-down lists for enumerated and 是/否 columns. An export is a template
with rows, so importing it back changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..domain import personal, schema
from ..domain.dataset import Dataset
from ..domain.personal import audience_of
from ..store.outputs import atomic
from ..store.privacy import People, mask_dataset
from . import layout
from .reader import MASK_MARK, MASK_PROPERTY

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
TEMPLATE_ROWS = 2000  # rows the template's drop-down lists and formats cover
SPARE_ROWS = 1000  # rows below an export's data that still get drop-down lists


def write_template(path: str | Path) -> Path:
    """The blank workbook of the contract at ``path``."""
    return _write(Path(path), None, ["空白模板：按各工作表的表头填写，每行一条记录。"])


def export_workbook(ds: Dataset, path: str | Path, *, mask: bool = False, source: str = "",
                    people: People | None = None) -> Path:
    """``ds`` as a ledger workbook at ``path`` (every sheet, even empty ones, so re-import covers all).

    With ``mask`` the personal data is masked for the audience of an export (``domain.personal``), free text
    scanned for ``people`` (default: the dataset's own; ``storage.mask_shared`` masks with the whole
    database's and passes an empty ``People``), and the workbook is marked so that the importer refuses it.
    出生日期 is shown as 出生年份.
    """
    lines = [f"导出自数据库{('：' + source) if source else ''}，导出日期 {dt.date.today():%Y-%m-%d}。"
             "改正后可直接重新导入；重新导入未改动的工作簿不会改变任何数据。"]
    if mask:
        ds = mask_dataset(ds, audience_of("export"), people)
        lines = [f"{MASK_MARK}（姓名、电话、身份证号已部分隐藏，出生日期只保留年份），仅供查阅和报送，不能再导入。"]
    return _write(Path(path), ds, lines, masked=mask)


def _write(path: Path, ds: Dataset | None, lines: list[str], masked: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    if masked:  # a workbook property: it stays when the 说明 sheet is deleted or renamed
        wb.custom_doc_props.append(StringProperty(name=MASK_PROPERTY, value=MASK_MARK))
    _guide(wb, lines)
    for t in schema.TABLES:
        frame = None if ds is None else _sorted(ds[t.name], t)
        if masked and frame is not None:
            t, frame = _birth_years(t, frame)
        _sheet(wb, t, frame)
    with atomic(path) as partial:  # killed while saving: the previous file stays whole
        wb.save(partial)
    return path


def _birth_years(t: schema.Table, frame: pd.DataFrame) -> tuple[schema.Table, pd.DataFrame]:
    """A masked table's birth dates (1 January of the year, ``privacy``) as whole years headed 出生年份."""
    cols = {f.column for f in personal.fields(personal.BIRTH_DATE) if f.table == t.name}
    if not cols:
        return t, frame
    # a year of birth: the widest range a person's record may hold (the schema asks every number column for one)
    columns = tuple(replace(c, header=personal.BIRTH_YEAR_HEADER, kind="int", minimum=1900, maximum=2100)
                    if c.name in cols else c
                    for c in t.columns)
    frame = frame.assign(**{c: frame[c].dt.year.astype("Int64") for c in cols})
    return replace(t, columns=columns), frame


def _sorted(frame: pd.DataFrame, t: schema.Table) -> pd.DataFrame:
    return frame.sort_values(list(t.key), kind="stable").reset_index(drop=True)


def _guide(wb: Workbook, lines: list[str]) -> None:
    """The 说明 sheet: what the workbook is, the rules of filling it, each sheet and each column."""
    ws = wb.create_sheet("说明")
    for letter, width in zip("ABCDE", (16, 26, 12, 60, 40)):
        ws.column_dimensions[letter].width = width
    bold = lambda v: _styled(ws, v, Font(bold=True))  # noqa: E731
    ws.append([_styled(ws, "社工站台账工作簿 · 填写说明", Font(bold=True, size=14))])
    for line in lines:
        ws.append([line])
    ws.append([])
    for i, rule in enumerate(layout.GENERAL_RULES, 1):
        ws.append([f"{i}. {rule}"])
    ws.append([])
    ws.append([bold("工作表"), bold("唯一编码"), bold("必填列数"), bold("内容")])
    for t in schema.TABLES:
        required = sum(c.required for c in t.columns)
        help_text = layout.SHEET_HELP[t.name] + (t.note and " " + t.note)
        ws.append([t.sheet, layout.key_text(t), required, help_text])
    ws.append([])
    ws.append([bold("工作表"), bold("列名"), bold("必填"), bold("填写要求")])
    for t in schema.TABLES:
        for c in t.columns:
            ws.append([t.sheet, c.header, "必填" if c.required else "", layout.column_hint(c)])


def _styled(ws, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = font
    return cell


def _sheet(wb: Workbook, t: schema.Table, frame: pd.DataFrame | None) -> None:
    ws = wb.create_sheet(t.sheet)
    n = 0 if frame is None else len(frame)
    last = max(n + 1 + SPARE_ROWS, TEMPLATE_ROWS) if frame is not None else TEMPLATE_ROWS
    columns = [] if frame is None else [_cells(frame[c.name], c.kind) for c in t.columns]
    for i, c in enumerate(t.columns, 1):
        letter = get_column_letter(i)
        dim = ws.column_dimensions[letter]
        dim.width = _width(c, columns[i - 1] if columns else [])
        if layout.number_format(c):
            dim.number_format = layout.number_format(c)
        values = layout.choices(c)
        if values:
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                errorStyle="warning", showErrorMessage=True, errorTitle="不在可选范围内",
                                error="请从下拉列表中选择：" + "、".join(values))
            dv.add(f"{letter}2:{letter}{last}")
            ws.data_validations.append(dv)
    ws.freeze_panes = "A2"
    # the sheet's size, written up front so readers need not scan the whole sheet to learn it
    ws.calculate_dimension = lambda: f"A1:{get_column_letter(len(t.columns))}{n + 1}"
    ws.append([_header(ws, c) for c in t.columns])
    text = [layout.holds_codes(c) for c in t.columns]
    for row in zip(*columns):
        ws.append([_code_cell(ws, v) if code else _safe(ws, v) for v, code in zip(row, text)])


def _header(ws, c: schema.Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=c.header)
    cell.font = REQUIRED_FONT if c.required else HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = HEADER_BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    comment = Comment(("必填。" if c.required else "") + layout.column_hint(c), "sgz")
    comment.width, comment.height = 240, 80
    cell.comment = comment
    return cell


def _cells(series: pd.Series, kind: str) -> list:
    """A column's values as the Python values openpyxl writes (dates as ``date``, 是/否 as text)."""
    values = series.astype("object").where(series.notna(), None).tolist()
    if kind == "date":
        return [None if v is None else v.date() for v in values]
    if kind == "bool":
        return [None if v is None else ("是" if v else "否") for v in values]
    if kind in ("money", "number"):
        return [None if v is None else float(v) for v in values]
    if kind == "int":
        return [None if v is None else int(v) for v in values]
    return values


def _safe(ws, value):
    """Text as text: strip characters an .xlsx cannot hold, never let ``=…`` become a formula."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _code_cell(ws, value):
    """A code as a text cell formatted as text, so ``001`` stays ``001`` when read, edited or retyped in Excel."""
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    cell.data_type = "s"
    cell.number_format = layout.TEXT_FORMAT
    return cell


def _width(c: schema.Column, values: list) -> float:
    sample = [layout.display_width(v) for v in values[:200] if v is not None and not isinstance(v, dt.date)]
    width = max([layout.display_width(c.header) + 2, *(w + 1 for w in sample)])
    if c.kind == "date":
        width = max(width, layout.DATE_WIDTH)
    return min(max(width, layout.MIN_WIDTH), layout.MAX_WIDTH)
