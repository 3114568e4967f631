"""Builders of the hostile set that change cells: numbers, texts, invisible characters, ID numbers, sheets.

Every builder starts from the base ledger of station S1 (``ledger_books.BASE``, which imports cleanly) and
changes one thing, through openpyxl where it can write the value, and through the sheet's XML where it
cannot (a text longer than openpyxl writes, a control character, ``INF``). Rows named here are Excel rows
of ``base_sheets()``: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from corpus import _rezip, _with_shared_strings
from ledger_books import BASE, base_sheets, rows, set_cell, write_book

Build = Callable[[Path], Path]


def edit(*changes: tuple[str, int, str, object], name: str = "book.xlsx") -> Build:
    """Cells replaced by (sheet, Excel row, header, value)."""
    def build(folder: Path) -> Path:
        sheets = base_sheets()
        for title, row, header, value in changes:
            sheets = set_cell(sheets, title, row, header, value)
        return write_book(folder / name, sheets)
    return build


def add_row(table: str, record: dict, name: str = "book.xlsx") -> Build:
    """One more record at the end of a sheet."""
    def build(folder: Path) -> Path:
        sheets = base_sheets(**{table: rows(table, BASE[table] + [record])})
        return write_book(folder / name, sheets)
    return build


def _cell_pattern(marker: str) -> re.Pattern:
    return re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is><t>' + re.escape(marker.encode())
                      + rb"</t></is></c>")


def raw_cell(title: str, row: int, header: str, make: Callable[[str], bytes], name: str = "raw.xlsx") -> Build:
    """A cell written as raw XML: ``make(ref)`` returns the whole ``<c>`` element (openpyxl cannot write it)."""
    marker = "RAWCELLMARK"

    def build(folder: Path) -> Path:
        src = edit((title, row, header, marker), name="marked.xlsx")(folder)
        pattern = _cell_pattern(marker)
        return _rezip(src, folder / name, lambda n, d: pattern.sub(lambda m: make(m[1].decode()), d)
                      if n.startswith("xl/worksheets/") else d)
    return build


def inline(text: str) -> Callable[[str], bytes]:
    return lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def rich_runs(*parts: str) -> Callable[[str], bytes]:
    runs = "".join(f"<r><t>{p}</t></r>" for p in parts)
    return lambda ref: f'<c r="{ref}" t="inlineStr"><is>{runs}</is></c>'.encode()


def formula_text(text: str) -> Callable[[str], bytes]:
    return lambda ref: f'<c r="{ref}" t="str"><f>REPT("长",{len(text)})</f><v>{text}</v></c>'.encode()


def number_xml(text: str, style: str = "") -> Callable[[str], bytes]:
    return lambda ref: f'<c r="{ref}"{style}><v>{text}</v></c>'.encode()


def shared_long(title: str, row: int, header: str, text: str) -> Build:
    """A cell whose value comes from the shared string table (as Excel saves), ``text`` there."""
    marker = "SHAREDLONGMARK"

    def build(folder: Path) -> Path:
        src = edit((title, row, header, marker), name="marked.xlsx")(folder)
        shared = _with_shared_strings(folder, src)
        return _rezip(shared, folder / "shared-long.xlsx", lambda n, d: d.replace(
            f"<t>{marker}</t>".encode(), f"<t>{text}</t>".encode()) if n == "xl/sharedStrings.xml" else d)
    return build


def renamed_sheet(old: str, new: str, headers_too: dict[str, str] | None = None) -> Build:
    """A base sheet under another title (and with some headers replaced)."""
    def build(folder: Path) -> Path:
        sheets = base_sheets()
        body = sheets.pop(old)
        if headers_too:
            body = [[headers_too.get(h, h) for h in body[0]]] + body[1:]
        return write_book(folder / "renamed.xlsx", {new: body, **sheets})
    return build


def headers_replaced(title: str, mapping: dict[str, str]) -> Build:
    def build(folder: Path) -> Path:
        sheets = base_sheets()
        sheets[title] = [[mapping.get(h, h) for h in sheets[title][0]]] + sheets[title][1:]
        return write_book(folder / "headers.xlsx", sheets)
    return build


# -- ID numbers -----------------------------------------------------------------------------------------

def id_number(region: str, birth: str, seq: str) -> str:
    """A valid 18-character ID number, its check character by ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11)."""
    body = region + birth + seq
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    check = (12 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


def id_ending_in_x() -> str:
    return next(n for n in (id_number("150702", "19560412", f"{s:03d}") for s in range(1000)) if n.endswith("X"))


def person(number, birth=None, extra: tuple = ()) -> Build:
    """服务对象 B1 (Excel row 2) with this 身份证号 and 出生日期."""
    return edit(("服务对象", 2, "身份证号", number), ("服务对象", 2, "出生日期", birth), *extra)


# -- the WPS and Excel shapes of real sheets ----------------------------------------------------------

def _sheet_part(path: Path, title: str) -> str:
    from corpus import _sheet_part as part
    return part(path, title)


def sheet_xml(title: str, change: Callable[[bytes], bytes], src: Build | None = None, name: str = "shaped.xlsx") -> Build:
    """The base workbook (or ``src``'s) with one sheet's XML rewritten by ``change``."""
    def build(folder: Path) -> Path:
        first = (src or edit(name="plain.xlsx"))(folder)
        part = _sheet_part(first, title)
        return _rezip(first, folder / name, lambda n, d: change(d) if n == part else d)
    return build


def formatted_rows(start: int, stop: int) -> bytes:
    """Rows WPS stores for their format only: a row style and a styled empty cell, no value."""
    return b"".join(b'<row r="%d" spans="1:11" s="1" customFormat="1" ht="14.25"><c r="A%d" s="1"/></row>' % (r, r)
                    for r in range(start, stop))


def append_rows(blob: Callable[[], bytes], dimension: str | None = None) -> Callable[[bytes], bytes]:
    def change(d: bytes) -> bytes:
        if dimension:
            d = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), d)
        return d.replace(b"</sheetData>", blob() + b"</sheetData>")
    return change


def move_row(old: int, new: int) -> Callable[[bytes], bytes]:
    """Row ``old`` (and its cell references) renumbered ``new``: a record on a far row of the sheet."""
    def change(d: bytes) -> bytes:
        d = d.replace(b'<row r="%d"' % old, b'<row r="%d"' % new)
        return re.sub(rb'(<c r="[A-Z]+)%d"' % old, rb'\g<1>%d"' % new, d)
    return change


def shift_down(by: int) -> Callable[[bytes], bytes]:
    """Every row moved ``by`` rows down, the rows above filled with formatted empty rows (a header at row by+1)."""
    def change(d: bytes) -> bytes:
        d = re.sub(rb'<row r="(\d+)"', lambda m: b'<row r="%d"' % (int(m[1]) + by), d)
        d = re.sub(rb'<c r="([A-Z]+)(\d+)"', lambda m: b'<c r="%s%d"' % (m[1], int(m[2]) + by), d)
        return d.replace(b"<sheetData>", b"<sheetData>" + formatted_rows(1, by + 1))
    return change


def spread_out(gap: int) -> Callable[[bytes], bytes]:
    """``gap`` formatted empty rows between every two stored rows (a WPS sheet with every row formatted)."""
    def change(d: bytes) -> bytes:
        stored = re.findall(rb"<row .*?</row>", d, re.S)
        out, r = [], 0
        for row in stored:
            r_old = int(re.match(rb'<row r="(\d+)"', row)[1])
            new = r + 1
            row = re.sub(rb'<row r="\d+"', b'<row r="%d"' % new, row)
            row = re.sub(rb'(<c r="[A-Z]+)%d"' % r_old, rb'\g<1>%d"' % new, row)
            out.append(row + formatted_rows(new + 1, new + 1 + gap))
            r = new + gap
        start, end = d.index(b"<sheetData>") + len(b"<sheetData>"), d.index(b"</sheetData>")
        return d[:start] + b"".join(out) + d[end:]
    return change


def empty_sheet(title: str, formatted: bool = False) -> Build:
    """The sheet present with nothing on it (or only formatted empty cells, as WPS leaves a cleared sheet)."""
    def change(d: bytes) -> bytes:
        start, end = d.index(b"<sheetData>"), d.index(b"</sheetData>") + len(b"</sheetData>")
        body = b"<sheetData>" + (formatted_rows(1, 40) if formatted else b"") + b"</sheetData>"
        d = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', d)
        return d[:start] + body + d[end:]
    return sheet_xml(title, change, name="empty.xlsx")


def merged(*refs: str) -> Callable[[bytes], bytes]:
    """Merged ranges added to a sheet (written into its XML: openpyxl builds an object per covered cell)."""
    def change(d: bytes) -> bytes:
        cells = b"".join(b'<mergeCell ref="%s"/>' % r.encode() for r in refs)
        return d.replace(b"</sheetData>", b'</sheetData><mergeCells count="%d">%s</mergeCells>' % (len(refs), cells), 1)
    return change
