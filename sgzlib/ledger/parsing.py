"""Parsing the kept rows of one sheet cell by cell, into the clean values of its columns.

For each cell: a formula error, a formula without its saved result, and a
text over Excel's cell limit (all ``CellFault``s of the reader) are refused
at their cell; invisible characters are removed or refused
(``invisible``), and the cells they were removed from are named in one note
per column; then the column's parser (``cells.cell_parser``) reads the value
or says why it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problem
from . import invisible
from .cells import CellError, cell_parser, is_blank, shown
from .ledger import Ledger, SheetRead
from .xlsx import MAX_CELL_CHARS, CellFault

NOTE_CELLS = 12  # cells named in one note; more are counted


@dataclass(frozen=True)
class _Cell:
    """What one distinct raw value of a column parsed to: a value, ``None`` (blank) or a ``CellError``."""

    result: object
    removed: tuple[str, ...] = ()


def parse_rows(sheet: SheetRead, raw: list[tuple[int, list, list]], ledger: Ledger) -> None:
    """Parse every kept row by its columns; record cell problems and notes.

    Ledgers repeat most values (station codes, domains, dates, 是/否), so each
    column remembers what each distinct raw value parsed to.
    """
    table = sheet.table
    sheet.rows = [r for r, _, _ in raw]
    key_ok = [True] * len(raw)
    for j, name in enumerate(sheet.index):
        column = table.column(name)
        parse = cell_parser(table.name, column)
        factor = sheet.factors[name]
        extra = {"factor": factor} if column.kind in ("int", "money") and factor != 1 else {}
        what = "编码" if column.kind == "code" or (column.kind == "list" and column.ref) else column.header
        in_key = name in table.key
        seen: dict[tuple, _Cell] = {}
        out = []
        cleaned: list[tuple[int, tuple[str, ...]]] = []
        for k, (r, values, formats) in enumerate(raw):
            v = values[j]
            memo = (type(v), v, formats[j])
            cell = seen.get(memo)
            if cell is None:
                cell = seen[memo] = _read(v, formats[j], column, parse, extra, what)
            if cell.removed:
                cleaned.append((r, cell.removed))
            if cell.result is None:
                out.append(None)
                if column.required:
                    sheet.problems.append(Problem("required", "必填，不能为空", where=sheet.title, row=r,
                                                  column=column.header))
                    key_ok[k] = key_ok[k] and not in_key
            elif isinstance(cell.result, CellError):
                out.append(None)
                sheet.problems.append(Problem(_code(v, cell.result, column), str(cell.result), where=sheet.title,
                                              row=r, column=column.header, value=_shown(v)))
                key_ok[k] = key_ok[k] and not in_key
            else:
                out.append(cell.result)
        if cleaned:
            ledger.notes.append(_cleaned_note(sheet, column.header, cleaned))
        sheet.values[name] = out
    sheet.key_ok = key_ok


def _read(value, number_format, column, parse, extra, what: str) -> _Cell:
    if isinstance(value, CellFault):
        return _Cell(CellError(_fault_text(value)))
    removed: tuple[str, ...] = ()
    if isinstance(value, str):
        try:
            scrubbed = invisible.scrub(value, column.prose, what)
        except CellError as exc:
            return _Cell(exc)
        value, removed = scrubbed.text, scrubbed.removed
    if is_blank(value, column.kind):
        return _Cell(None, removed)
    try:
        return _Cell(parse(value, number_format, **extra), removed)
    except CellError as exc:
        return _Cell(exc, removed)


def _cleaned_note(sheet: SheetRead, header: str, cleaned: list[tuple[int, tuple[str, ...]]]) -> str:
    letter = sheet.letters.get(header, "")
    places = "、".join(f"{letter}{r}" for r, _ in cleaned[:NOTE_CELLS])
    more = f" 等共 {len(cleaned)} 处" if len(cleaned) > NOTE_CELLS else ""
    kinds = "、".join(invisible.describe(ch) for ch in dict.fromkeys(ch for _, chars in cleaned for ch in chars))
    return (f"工作表「{sheet.title}」「{header}」列的 {places}{more} 含有看不见的字符 {kinds}，已删除，"
            "按看到的内容导入")


def _code(value, error: CellError, column) -> str:
    if isinstance(value, CellFault):
        return "too_long" if value.kind == "too_long" else f"formula_{value.kind}"
    return error.code or f"bad_{column.kind}"


def _shown(value) -> str:
    if isinstance(value, CellFault) and value.kind == "too_long":
        return f"（共 {int(value.text):,} 个字符，太长不列出）"
    return shown(value)


def _fault_text(fault: CellFault) -> str:
    if fault.kind == "too_long":
        return (f"有 {int(fault.text):,} 个字符，超过 Excel 每个单元格最多 {MAX_CELL_CHARS:,} 个字符的上限"
                "（多出的部分在 Excel 中无法保存）；请删减，或分到几行、几个单元格后再导入")
    if fault.kind == "error":
        return (f"单元格 {fault.ref} 的公式结果是错误值 {fault.text}，不能导入；请改正公式或填入数值")
    return (f"单元格 {fault.ref} 是公式（={fault.text}），文件中没有保存计算结果（多由程序生成而未经 Excel 计算）；"
            "请在 Excel 或 WPS 中打开、重新计算并保存后再导入，或把公式改为数值")
