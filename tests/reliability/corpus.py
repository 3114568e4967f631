"""The bad-input corpus: workbooks a hostile or unlucky user may hand to ``sgz import``, built on demand.

Each entry: an id, a builder ``(folder) -> path`` and what the refusal must
say: the reason code of at least one problem and a fragment of its Chinese
text. Every builder starts from the base ledger of station S1
(``ledger_books.BASE``), which imports cleanly, and breaks one thing.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger_books import base_sheets, set_cell, write_book
from openpyxl import load_workbook

from sgzlib.ledger import export_workbook, xlsx
from sgzlib.store import storage


@dataclass(frozen=True)
class Bad:
    id: str
    build: Callable[[Path], Path]
    code: str
    says: str  # a fragment of the Chinese message


def _edit(title: str, row: int, header: str, value) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        return write_book(folder / "bad.xlsx", set_cell(base_sheets(), title, row, header, value))
    return build


def _base(folder: Path, name: str = "base.xlsx") -> Path:
    return write_book(folder / name, base_sheets())


def _rezip(src: Path, dst: Path, change: Callable[[str, bytes], bytes | None],
           stored: tuple[str, ...] = ()) -> Path:
    """Copy a zip part by part; ``change(name, data)`` returns new bytes, or ``None`` to leave the part out."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data,
                              zipfile.ZIP_STORED if info.filename in stored else zipfile.ZIP_DEFLATED)
    return dst


def _sheet_part(path: Path, title: str) -> str:
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{title}"[^>]*r:id="(rId\d+)"', wb)[1]
    target = re.search(rf'<Relationship[^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + target[1].lstrip("/").removeprefix("xl/")


def bad_crc(folder: Path) -> Path:
    src = _base(folder)
    part = _sheet_part(src, "服务记录")
    out = _rezip(src, folder / "crc.xlsx", lambda n, d: d, stored=(part,))
    data = bytearray(out.read_bytes())
    at = data.find("社会救助".encode())  # inside the stored (uncompressed) sheet part
    data[at] ^= 0x01
    out.write_bytes(bytes(data))
    return out


def missing_part(folder: Path) -> Path:
    src = _base(folder)
    part = _sheet_part(src, "个案")
    return _rezip(src, folder / "missing.xlsx", lambda n, d: None if n == part else d)


def truncated(folder: Path) -> Path:
    src = _base(folder)
    out = folder / "truncated.xlsx"
    out.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return out


def not_a_zip(folder: Path) -> Path:
    out = folder / "text.xlsx"
    out.write_text("编码,名称\nS1,甲街道\n", encoding="utf-8")
    return out


def broken_xml(folder: Path) -> Path:
    src = _base(folder)
    part = _sheet_part(src, "服务记录")
    return _rezip(src, folder / "xml.xlsx", lambda n, d: d.replace(b"</row>", b"</rox>", 1) if n == part else d)


def bad_string_index(folder: Path) -> Path:
    src = folder / "strings.xlsx"
    _base(folder).rename(src)
    resaved = _with_shared_strings(folder, src)
    part = _sheet_part(resaved, "服务记录")
    return _rezip(resaved, folder / "index.xlsx",
                  lambda n, d: re.sub(rb't="s"><v>\d+</v>', b't="s"><v>999999</v>', d, count=1) if n == part else d)


def _with_shared_strings(folder: Path, src: Path) -> Path:
    """The workbook with its inline strings moved to a shared string table (as Excel saves it)."""
    parts = {}
    strings: list[bytes] = []
    with zipfile.ZipFile(src) as z:
        names = z.namelist()
        for n in names:
            parts[n] = z.read(n)

    def share(m):
        strings.append(m[1])
        return b't="s"><v>' + str(len(strings) - 1).encode() + b"</v>"

    for n in names:
        if n.startswith("xl/worksheets/sheet"):
            parts[n] = re.sub(rb't="inlineStr"><is><t>([^<]*)</t></is>', share, parts[n])
    sst = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
           b'2006/main">' + b"".join(b"<si><t>" + s + b"</t></si>" for s in strings) + b"</sst>")
    parts["xl/sharedStrings.xml"] = sst
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    out = folder / "shared.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)
    return out


def _add_part(src: Path, dst: Path, name: str, chunks, rel_type: str | None = None) -> Path:
    """Copy ``src`` and add a part written piece by piece (so a huge part never sits in memory here)."""
    shutil.copyfile(src, dst)
    with zipfile.ZipFile(dst, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
            z.open(name, "w", force_zip64=True) as stream:
        for chunk in chunks:
            stream.write(chunk)
    if rel_type:
        return _rezip(dst, dst.with_name("r" + dst.name), lambda n, d: d.replace(
            b"</Relationships>", f'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/{rel_type}" Target="{name.removeprefix("xl/")}"/></Relationships>'.encode())
            if n == "xl/_rels/workbook.xml.rels" else d)
    return dst


def strings_bomb(folder: Path) -> Path:
    """A shared string table of 300 MB that compresses to well under 1 MB."""
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    body = b"A" * (1 << 20)
    return _add_part(_base(folder), folder / "bomb.xlsx", "xl/sharedStrings.xml",
                     [head] + [body] * 300 + [b"</t></si></sst>"], "sharedStrings")


def strings_swarm(folder: Path) -> Path:
    """Three million empty shared strings (15 MB): a list of strings bigger than any ledger needs."""
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    return _add_part(_base(folder), folder / "swarm.xlsx", "xl/sharedStrings.xml",
                     [head] + [b"<si/>" * 100_000] * 30 + [b"</sst>"], "sharedStrings")


def _million_rows(folder: Path, dimension: bool) -> Path:
    src = _base(folder)
    part = _sheet_part(src, "服务记录")
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(2, 1_048_577))

    def change(n, d):
        if n != part:
            return d
        d = re.sub(rb"<dimension[^>]*/>", b'<dimension ref="A1:K1048576"/>' if dimension else b"", d)
        return d.replace(b"</sheetData>", rows + b"</sheetData>") if b"</sheetData>" in d else d
    return _rezip(src, folder / ("rows.xlsx" if dimension else "rows-nodim.xlsx"), change)


def masked_no_guide(folder: Path) -> Path:
    """``sgz export --mask``, then the 说明 sheet deleted and the workbook saved again in a spreadsheet program."""
    engine = storage.connect(f"sqlite:///{folder / 'src.db'}")
    from sgzlib.ledger import import_workbook
    import_workbook(engine, _base(folder))
    out = export_workbook(storage.load_dataset(engine), folder / "masked.xlsx", mask=True)
    engine.dispose()
    wb = load_workbook(out)
    del wb["说明"]
    wb.save(out)
    return out


def masked_retyped(folder: Path) -> Path:
    """Masked values copied into a fresh workbook (no marker at all): the values themselves give it away."""
    sheets = set_cell(base_sheets(), "服务对象", 2, "姓名", "张*")
    sheets = set_cell(sheets, "服务对象", 3, "联系电话", "139****6250")
    sheets = set_cell(sheets, "服务对象", 4, "身份证号", "150702********8123")
    return write_book(folder / "retyped.xlsx", sheets)


def hidden_sheet(folder: Path) -> Path:
    path = _base(folder)
    wb = load_workbook(path)
    wb["服务记录"].sheet_state = "hidden"
    wb.save(path)
    return path


def formula_error(folder: Path) -> Path:
    return write_book(folder / "err.xlsx", set_cell(base_sheets(), "服务记录", 2, "参与人次", "#DIV/0!"))


def formula_error_text(folder: Path) -> Path:
    return write_book(folder / "na.xlsx", set_cell(base_sheets(), "服务记录", 3, "地点", "#N/A"))


def long_cell(folder: Path) -> Path:
    """A cell of 40,000 characters (openpyxl cuts text at Excel's limit, so the part is edited directly)."""
    src = write_book(folder / "marked.xlsx", set_cell(base_sheets(), "服务记录", 2, "内容摘要", "LONGCELL"))
    return _rezip(src, folder / "long.xlsx", lambda n, d: d.replace(b"LONGCELL", ("长" * 40_000).encode()))


TRADITIONAL_HEADERS = {"记录编号": "記錄編號", "站点编码": "站點編碼", "服务日期": "服務日期", "领域": "領域",
                       "服务类别": "服務類別", "服务对象编码": "服務對象編碼", "参与人次": "參與人次", "地点": "地點",
                       "内容摘要": "內容摘要", "水印照片": "水印照片", "已上传中国社会工作网": "已上傳中國社會工作網"}


def traditional_sheet(folder: Path) -> Path:
    """The 服务记录 sheet written in traditional characters, title and headers (a Hong Kong or Taiwan template)."""
    sheets = base_sheets()
    records = sheets.pop("服务记录")
    sheets["服務記錄"] = [[TRADITIONAL_HEADERS[h] for h in records[0]]] + records[1:]
    return write_book(folder / "trad.xlsx", sheets)


CORPUS: list[Bad] = [
    # references and values (the database would take them, and break every later command)
    Bad("misspelt-catalogue", _edit("项目", 2, "指标清单", "zhalainuoer-2062"), "bad_project", "zhalainuoer-2026"),
    Bad("unknown-tier", lambda f: write_book(f / "tier.xlsx", set_cell(set_cell(
        base_sheets(), "项目", 2, "指标清单", "civil-affairs-2024"), "项目", 2, "档位", "30万")),
        "bad_project", "可选：10万、20万"),
    Bad("negative-budget", _edit("项目", 2, "合同金额(元)", -100000), "below_minimum", "不能为负数"),
    Bad("negative-attendance", _edit("服务记录", 2, "参与人次", -2), "below_minimum", "不能为负数"),
    Bad("negative-minutes", _edit("个案服务", 2, "时长(分钟)", -45), "below_minimum", "不能为负数"),
    Bad("session-zero", _edit("个案服务", 2, "节次", 0), "below_minimum", "不能小于 1"),
    Bad("integer-2-31", _edit("服务记录", 2, "参与人次", 2 ** 31), "out_of_range", "0 至 100,000"),
    Bad("longitude-typo", _edit("社工站", 2, "经度", 1116.85), "out_of_range", "-180 至 180"),  # 111.685 mistyped
    Bad("latitude-swapped", _edit("社工站", 2, "纬度", 111.685), "out_of_range", "-90 至 90"),   # 经度 in 纬度
    Bad("over-long-code", _edit("服务记录", 2, "记录编号", "S" * 65), "too_long", "上限 64"),
    Bad("nul-character", _edit("服务记录", 2, "地点", "社区_x0000_活动室"), "nul_character", "空字符"),
    Bad("huge-budget", _edit("项目", 2, "合同金额(元)", 1e15), "out_of_range", "0 至 100,000,000"),
    # masked data
    Bad("masked-guide-deleted", masked_no_guide, "masked_workbook", "脱敏"),
    Bad("masked-values-retyped", masked_retyped, "masked_value", "脱敏"),
    # formulas
    Bad("formula-error-number", formula_error, "formula_error", "#DIV/0!"),
    Bad("formula-error-text", formula_error_text, "formula_error", "#N/A"),
    Bad("formula-no-result", _edit("服务记录", 2, "参与人次", "=1+1"), "formula_no_value", "没有保存计算结果"),
    # sheets
    Bad("hidden-ledger-sheet", hidden_sheet, "hidden_sheet", "隐藏"),
    Bad("traditional-sheet-name", traditional_sheet, "lookalike_sheet", "服务记录"),
    # containers
    Bad("bad-zip-crc", bad_crc, "bad_file", "损坏"),
    Bad("missing-sheet-part", missing_part, "bad_file", "缺失"),
    Bad("truncated-file", truncated, "bad_file", "文件不完整"),
    Bad("not-a-zip", not_a_zip, "bad_file", "文本文件"),
    Bad("broken-sheet-xml", broken_xml, "bad_file", "无法识别"),
    Bad("shared-string-index", bad_string_index, "bad_file", "共享字符串编号"),
    # limits
    Bad("shared-strings-bomb", strings_bomb, "bad_file", f"{xlsx.MAX_PART_BYTES // 2 ** 20} MB"),
    Bad("shared-strings-swarm", strings_swarm, "bad_file", f"{xlsx.MAX_SHARED_STRINGS} 项的上限"),
    Bad("million-rows", lambda f: _million_rows(f, True), "bad_file", f"{xlsx.MAX_ROWS} 行的上限"),
    Bad("million-rows-no-size", lambda f: _million_rows(f, False), "bad_file", f"{xlsx.MAX_ROWS} 行的上限"),
    Bad("cell-over-32767", long_cell, "too_long", f"{xlsx.MAX_CELL_CHARS:,} 个字符的上限"),
]

