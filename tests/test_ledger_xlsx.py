"""The streaming .xlsx cell reader: shared strings, cell types, prefixed XML, sizes and merges."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook

from sgzlib.errors import DataError
from sgzlib.ledger import read_workbook
from sgzlib.ledger.xlsx import Book, CellFault, children, shared_strings

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_shared_strings_plain_rich_phonetic_entities_and_empty():
    data = (b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b' count="5" uniqueCount="5">'
            b'<si><t xml:space="preserve">\xe6\x9c\x8d\xe5\x8a\xa1 </t></si>'  # "服务 " with its trailing space
            b'<si><r><rPr><rFont val="Noto Sans CJK SC"/></rPr><t>\xe7\xac\xac</t></r>'
            b'<r><rPr><rFont val="Calibri"/></rPr><t>1</t></r></si>'  # 第 + 1 in two runs
            b'<si><t>A&amp;B &lt;1&gt;</t><rPh sb="0" eb="1"><t>yomi</t></rPh></si>'
            b'<si/><si><t/></si><si><t>x_x000D_y</t></si></sst>')
    assert shared_strings(data) == ["服务 ", "第1", "A&B <1>", "", "", "x\ry"]


def test_prefixed_namespace_rows():
    data = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
            + b"".join(b'<x:row r="%d"><x:c r="B%d"><x:v>%d</x:v></x:c></x:row>' % (i, i, i) for i in range(1, 4))
            + b"</x:sheetData></x:worksheet>")
    rows = list(children(data, "sheetData", "row"))
    assert [r.get("r") for r in rows] == ["1", "2", "3"]


def test_cells_of_every_type(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "T"
    ws.append(["文字", 12, 1.5, True, dt.date(2026, 3, 5), None, "=1+1"])
    ws["H1"] = 7
    ws["H1"].number_format = "000"
    ws.merge_cells("A3:A5")
    path = tmp_path / "t.xlsx"
    wb.save(path)
    book = Book(path)
    data = book.sheet_data(book.sheets[0])
    r, values, styles = next(data.rows())
    # a formula written by openpyxl has no cached result: read as a fault naming the cell and the formula
    assert (r, values[:6], values[6]) == (1, ["文字", 12, 1.5, True, dt.datetime(2026, 3, 5), None],
                                          CellFault("G1", "no_value", "1+1"))
    assert book.number_format(styles[7]) == "000"
    assert data.merged() == [(1, 3, 1, 5)]
    book.close()


def test_not_an_xlsx_is_refused_in_chinese(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    with pytest.raises(DataError, match="另存为"):
        read_workbook(path)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(DataError, match="无法作为 .xlsx 工作簿打开"):
        read_workbook(broken)
