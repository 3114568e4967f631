"""Reading a ledger workbook (.xlsx) tolerantly, keeping every problem found.

``read_workbook(path)`` streams each sheet once (``xlsx.Book``),
recognises the sheet and its header row, parses every cell by the kind its
column declares in ``schema`` and returns a ``Ledger``: one DataFrame per
table present, the Excel row of every row, and every problem with sheet, row,
column, value and a Chinese reason. Nothing here touches a database.

Codes follow one rule, written out in ``codes``: each cell is spelled as
text here (full-width folded, numbers as their integer, ``1.0`` → ``1``);
a code of digits that lost its leading zeros (``1`` for ``001``) is matched
across sheets and with the database by ``codes.reconcile``, which the
importer calls once, after reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain, islice
from pathlib import Path

from openpyxl.utils import get_column_letter

from ..domain import schema
from ..domain.vocab import fold
from ..errors import ConfigError, DataError, Problem
from . import headers, identity, invisible, parsing
from .ledger import Ledger, SheetRead
from .merges import MergeFill
from .xlsx import Book, KindError, LimitError, SheetData, XlsxError

MASK_MARK = "本工作簿已脱敏"
MASK_PROPERTY = "sgz-masked"  # custom document property of a masked export (survives deleting the 说明 sheet)
_SKIP_FIRST = re.compile(r"^(合计|总计|小计)")
_FOOTER = re.compile(r"^(填表人|制表人|审核人|填报人|负责人|填表日期|制表日期|填报日期|备注[:：]|注[:：]|说明[:：])")
PROGRESS_MIN_ROWS = 2000

Progress = Callable[[str, int | None], object]


def read_workbook(path: str | Path, progress: Progress | None = None) -> Ledger:
    """Read every recognised sheet of the workbook at ``path``.

    ``progress(description, total_rows)`` is called for sheets of more than
    ``PROGRESS_MIN_ROWS`` rows and must return an object with ``update(n)``
    and ``close()`` (a ``tqdm`` bar fits).
    """
    book = _open(path)
    ledger = Ledger()
    ledger.masked = MASK_PROPERTY in book.custom_properties
    try:
        for ref in book.sheets:
            data = book.sheet_data(ref)
            if headers.ignored_title(ref.title):
                ledger.masked |= _has_mask_mark(data)
                continue
            sheet = _read_sheet(ref.title, data, progress, ledger, ref.hidden)
            if sheet is not None:
                ledger.add(sheet)
    except XlsxError as exc:
        raise _bad_file(f"文件无法作为 .xlsx 工作簿读取：{exc}", exc, Path(path).name) from None
    finally:
        book.close()
    ledger.finish()
    return ledger


def _open(path: str | Path) -> Book:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"找不到文件：{path}")
    if path.suffix.lower() in (".xls", ".et", ".ods", ".csv"):
        raise DataError([Problem("bad_file", "只能导入 .xlsx 工作簿；.xls、.et 等格式请在 Excel 或 WPS 中"
                                 "「另存为」Excel 工作簿（*.xlsx）后再导入", where=path.name)])
    try:
        return Book(path)
    except XlsxError as exc:
        raise _bad_file(f"文件无法作为 .xlsx 工作簿打开：{exc}", exc, path.name) from None


def _bad_file(message: str, exc: XlsxError, name: str) -> DataError:
    """The refusal of an unreadable file; a damaged one gets the advice to save it again, one over a limit not,
    and a file of another kind is told what it is (``filekind``)."""
    if not isinstance(exc, (KindError, LimitError)):
        message += "；请在 Excel 或 WPS 中打开并「另存为」Excel 工作簿（*.xlsx）后再导入"
    return DataError([Problem("bad_file", message, where=name)])


def _has_mask_mark(data: SheetData) -> bool:
    head = islice(data.rows(), 20)
    return any(isinstance(v, str) and MASK_MARK in v for _, values, _ in head for v in values)


def _read_sheet(title: str, data: SheetData, progress: Progress | None, ledger: Ledger,
                hidden: bool = False) -> SheetRead | None:
    rows = data.rows()
    head = list(islice((row for row in rows if _has_values(row[1])), headers.HEADER_SCAN_ROWS))
    head_values = [values for _, values, _ in head]
    table = _recognise(title, head_values, ledger, hidden)
    if table is None:
        return None
    if not head:
        if hidden:
            ledger.notes.append(f"工作表「{title}」是隐藏的空工作表，已忽略")
            return None
        ledger.notes.append(f"工作表「{title}」是空的，按「{table.sheet}」没有记录处理")
        return SheetRead(title, table, empty=True)
    if hidden:
        ledger.problems.append(Problem(
            "hidden_sheet", f"工作表「{title}」是隐藏的工作表，其内容是台账「{table.sheet}」：隐藏的内容容易未经核对就被导入，"
            "请在 Excel 或 WPS 中取消隐藏、核对后再导入，或删除该工作表", where=title))
        return None
    sheet = SheetRead(title, table)
    found = headers.find_header_row(table, head_values)
    if found is None:
        sheet.problems.append(_no_header(title, table, head_values))
        return sheet
    sheet.header_row = head[found][0]
    _map_columns(sheet, head_values[found], ledger)
    if not sheet.usable:
        return sheet
    parsing.parse_rows(sheet, _collect(sheet, data, head, found, rows, progress, ledger), ledger)
    identity.check_birth_dates(sheet)
    return sheet


def _recognise(title: str, head_values: list[list], ledger: Ledger, hidden: bool) -> schema.Table | None:
    """The table a sheet holds, by its title or else its headers; a title in traditional characters is refused.

    The rule (docs/ledger.md「工作表的名称」): a sheet whose title has traditional characters and, read as simplified
    characters, names a ledger sheet (``服務記錄``, ``社工站點``) is refused with the simplified name to use.
    """
    alike = headers.traditional_title(title)
    if alike is not None:
        found = "、".join(f"「{ch}」" for ch in headers.traditional_characters(title))
        ledger.problems.append(Problem(
            "lookalike_sheet", f"工作表名「{title}」中有繁体字或异体字（{found}），看起来是台账「{alike.sheet}」；台账只按简体的"
            f"工作表名识别，这张表没有导入。请把工作表名改为「{alike.sheet}」（表头也用模板中的简体写法）后再导入",
            where=title))
        return None
    table = headers.table_for_title(title)
    if table is not None:
        return table
    table = headers.table_for_headers(head_values)
    if table is not None:
        ledger.notes.append(f"工作表「{title}」按表头识别为「{table.sheet}」")
        return table
    alike = headers.lookalike_table(title, head_values)
    if alike is not None:
        ledger.problems.append(Problem(
            "lookalike_sheet", f"工作表「{title}」看起来是台账「{alike.sheet}」（繁体字或异体字），"
            f"但名称和表头不能识别，不会导入；请把工作表名和表头改为模板中的简体写法（「{alike.sheet}」）后再导入",
            where=title))
    elif hidden:
        ledger.notes.append(f"工作表「{title}」是隐藏工作表，不是台账中的工作表，已忽略")
    elif head_values:
        ledger.notes.append(f"工作表「{title}」不是台账中的工作表，已忽略"
                            f"（可识别的工作表：{'、'.join(t.sheet for t in schema.TABLES)}）")
    return None


def _no_header(title: str, table: schema.Table, head_values: list[list]) -> Problem:
    if headers.lookalike_table(table.sheet, head_values) is table:
        return Problem("lookalike_header", f"表头用了繁体字或异体字，不能识别；请把表头改为模板中的简体写法"
                       f"（如 {'、'.join(c.header for c in table.columns[:3])}）后再导入", where=title)
    return Problem("no_header", f"找不到表头行：前 {headers.HEADER_SCAN_ROWS} 行（不计空行）中没有"
                   f"「{table.sheet}」的列名（如 {'、'.join(c.header for c in table.columns[:3])}）", where=title)


def _has_values(values: list) -> bool:
    return any(v is not None and (not isinstance(v, str) or invisible.has_visible(v)) for v in values)


def _collect(sheet: SheetRead, data: SheetData, head: list, found: int, rows, progress: Progress | None,
             ledger: Ledger) -> list[tuple[int, list, list]]:
    """The data rows below the header (blank, total and footer rows left out), with a progress bar on big sheets."""
    total = data.max_row
    bar = progress(f"读取「{sheet.title}」", total) if progress and (total or 0) > PROGRESS_MIN_ROWS else None
    fill = _merge_fill(sheet, data, head)
    formats = {i for name, i in sheet.index.items() if sheet.kinds[name] in _FMT_KINDS}
    raw: list[tuple[int, list, list]] = []
    n = 0
    for n, row in enumerate(chain(head[found + 1:], rows), 1):
        _take(sheet, row, fill, formats, data.book, raw, ledger)
        if bar is not None and n % 1000 == 0:
            bar.update(1000)
    if bar is not None:
        bar.update(n % 1000)
        bar.close()
    return raw


def _map_columns(sheet: SheetRead, header: list, ledger: Ledger) -> None:
    ignored = []
    reported: set[str] = set()  # columns whose header is refused already (traditional characters)
    for i, text in enumerate(header):
        if text is None or not fold(text):
            continue
        column, unit = headers.match_header(sheet.table, text)
        letter = get_column_letter(i + 1)
        if column is None:
            alike = headers.match_header(sheet.table, headers.simplified(text))[0] if isinstance(text, str) else None
            if alike is None:
                ignored.append(str(text).strip())
                continue
            sheet.letters.setdefault(alike.header, letter)
            sheet.problems.append(Problem("lookalike_header", f"表头「{str(text).strip()}」用了繁体字或异体字，不能识别，"
                                          f"这一列不会导入；请改为模板中的简体写法「{alike.header}」",
                                          where=sheet.title, row=sheet.header_row, column=alike.header, value=str(text)))
            reported.add(alike.name)
            continue
        if column.name in sheet.index:
            sheet.problems.append(Problem("duplicate_column", f"「{column.header}」列出现了两次"
                                          f"（{sheet.letters[column.header]}列和{letter}列），请删去一列",
                                          where=sheet.title, row=sheet.header_row, column=column.header))
            continue
        factor = headers.unit_factor(column, unit)
        if factor is None:
            sheet.problems.append(Problem("unit_mismatch", f"单位「{unit}」无法换算为模板的单位"
                                          f"「{headers.header_key(column.header).unit}」",
                                          where=sheet.title, row=sheet.header_row, column=column.header,
                                          value=str(text)))
            continue
        sheet.index[column.name] = i
        sheet.factors[column.name] = factor
        sheet.letters[column.header] = letter
    for c in sheet.table.columns:
        if c.required and c.name not in sheet.index and c.name not in reported:
            sheet.problems.append(Problem("missing_column", f"缺少必填列「{c.header}」",
                                          where=sheet.title, row=sheet.header_row, column=c.header))
    if ignored:
        ledger.notes.append(f"工作表「{sheet.title}」中不属于台账的列已忽略：{'、'.join(ignored)}")


def _merge_fill(sheet: SheetRead, data: SheetData, head: list) -> MergeFill:
    """The merged ranges below the header, with the values of their top-left cells."""
    ranges = [b for b in data.merged() if b[1] > sheet.header_row and b[3] > b[1]]
    fill = MergeFill(ranges, {}, list(sheet.index.values()), sheet.title)
    if not fill:
        return fill
    wanted = {(b[1], b[0]) for b in fill.pending}
    last = max(b[1] for b in fill.pending)
    for r, values, _ in chain(head, data.rows()):
        for c, v in enumerate(values, start=1):
            if (r, c) in wanted:
                fill.top[(r, c)] = v
        if r >= last:
            break
    return fill


def _take(sheet: SheetRead, row: tuple[int, list, list], fill: MergeFill, formats: set[int], book: Book,
          raw: list, ledger: Ledger) -> None:
    """Keep one data row unless it is blank, a total or a footer."""
    r, values, styles = row
    hidden = fill.at(r) if fill else None
    if hidden:
        values = list(values) + [None] * max(0, max(hidden) + 1 - len(values))
        for c, v in hidden.items():
            values[c] = v
    first = next((v for v in values if v is not None and (not isinstance(v, str) or invisible.has_visible(v))), None)
    if first is None:
        return
    if isinstance(first, str):
        text = fold(first)
        if _SKIP_FIRST.match(text):
            ledger.notes.append(f"工作表「{sheet.title}」第{r}行是合计行，已跳过")
            return
        if _FOOTER.match(text):
            ledger.notes.append(f"工作表「{sheet.title}」第{r}行是表尾（{str(first).strip()[:20]}），已跳过")
            return
    n = len(values)
    picked = [values[i] if i < n else None for i in sheet.index.values()]
    if not _has_values(picked):
        return
    fmts = [book.number_format(styles[i]) if i in formats and i < len(styles) and isinstance(values[i], (int, float))
            else None for i in sheet.index.values()]
    raw.append((r, picked, fmts))


_FMT_KINDS = ("code", "list", "text")
