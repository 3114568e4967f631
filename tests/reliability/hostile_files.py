"""Builders of the hostile set that are not workbooks, or are workbooks built to exhaust memory.

Files of other kinds saved as .xlsx (encrypted workbooks, old .xls, web pages, CSV …) are written byte by
byte; the big parts are compressed once (``containers.deflate``) and written as often as needed.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from containers import Deflated, copy_parts, deflate, ole_file, raw_zip
from corpus import _base, _rezip, _sheet_part

Build = Callable[[Path], Path]
MB = 2 ** 20
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def raw_bytes(data: bytes, name: str = "file.xlsx") -> Build:
    def build(folder: Path) -> Path:
        out = folder / name
        out.write_bytes(data)
        return out
    return build


def ole(streams: dict[str, bytes]) -> Build:
    return lambda folder: ole_file(folder / "ole.xlsx", streams)


# An agile EncryptionInfo begins with version 4.4 and an XML descriptor; the package is ciphertext.
ENCRYPTED = {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00<?xml version=\"1.0\"?><encryption "
             b"xmlns=\"http://schemas.microsoft.com/office/2006/encryption\"/>",
             "EncryptedPackage": bytes(range(256)) * 40}
# A BIFF8 workbook stream starts with a BOF record (0x0809) of version 0x0600.
BIFF8 = b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\x00" * 4088
HTML_TABLE = ("<html><head><meta charset=\"utf-8\"></head><body><table><tr><td>站点编码</td><td>站点名称</td></tr>"
              "<tr><td>S1</td><td>甲街道社会工作服务站</td></tr></table></body></html>").encode()
EXCEL_WEB_PAGE = ("\ufeff\r\n  <html xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
                  "xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><head><meta http-equiv=Content-Type "
                  "content=\"text/html; charset=gb2312\"></head><body><table><tr><td>记录编号</td></tr></table>"
                  "</body></html>").encode("utf-8")
SPREADSHEET_2003 = ("<?xml version=\"1.0\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n<Workbook "
                    "xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet ss:Name=\"社工站\">"
                    "</Worksheet></Workbook>").encode()
CSV_ROWS = "站点编码,站点名称,层级,所属区县\nS1,甲街道社会工作服务站,乡镇街道站,测试区\n"


def zip_of(parts: dict[str, bytes], name: str = "zip.xlsx") -> Build:
    def build(folder: Path) -> Path:
        out = folder / name
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for part, data in parts.items():
                z.writestr(part, data)
        return out
    return build


def ods() -> Build:
    return zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>",
                   "META-INF/manifest.xml": b"<manifest/>"}, "ods.xlsx")


def truncated(fraction: float) -> Build:
    def build(folder: Path) -> Path:
        src = _base(folder)
        out = folder / "cut.xlsx"
        out.write_bytes(src.read_bytes()[: int(src.stat().st_size * fraction)])
        return out
    return build


# -- memory -------------------------------------------------------------------------------------------

def _with_sheets(folder: Path, extra: list[tuple[str, str]]) -> list[tuple[str, Deflated]]:
    """The base workbook's parts with more sheets listed in workbook.xml: (title, part name) each."""
    parts = dict(copy_parts(_base(folder)))
    import zipfile as zf
    with zf.ZipFile(folder / "base.xlsx") as z:
        wb, rels = z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")
        types = z.read("[Content_Types].xml")
    sheets = b"".join(f'<sheet name="{t}" sheetId="{100 + i}" r:id="rIdBig{i}"/>'.encode() for i, (t, _) in enumerate(extra))
    links = b"".join(f'<Relationship Id="rIdBig{i}" Type="{REL}/worksheet" Target="/{p}"/>'.encode()
                     for i, (_, p) in enumerate(extra))
    overrides = b"".join(f'<Override PartName="/{p}" ContentType="application/vnd.openxmlformats-officedocument.'
                         f'spreadsheetml.worksheet+xml"/>'.encode() for p in dict.fromkeys(p for _, p in extra))
    parts["xl/workbook.xml"] = deflate([wb.replace(b"</sheets>", sheets + b"</sheets>")])
    parts["xl/_rels/workbook.xml.rels"] = deflate([rels.replace(b"</Relationships>", links + b"</Relationships>")])
    parts["[Content_Types].xml"] = deflate([types.replace(b"</Types>", overrides + b"</Types>")])
    return list(parts.items())


def padded_sheet(megabytes: int) -> Deflated:
    """A worksheet of ``megabytes`` MB: a header row and then blank space (compresses a thousandfold)."""
    head = f'<?xml version="1.0"?><worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x'.encode()
    tail = b"</t></is></c></row></sheetData></worksheet>"
    pad = b" " * MB
    return deflate([head, *([pad] * megabytes), tail])


def big_parts(count: int, megabytes: int, real: bool) -> Build:
    """``count`` extra sheets of ``megabytes`` MB each; ``real=False``: small parts whose directory says so."""
    def build(folder: Path) -> Path:
        names = [(f"大表{i}", f"xl/worksheets/big{i}.xml") for i in range(count)]
        parts = _with_sheets(folder, names)
        body = padded_sheet(megabytes) if real else padded_sheet(0)
        declared = {} if real else {p: megabytes * MB for _, p in names}
        return raw_zip(folder / "big.xlsx", parts + [(p, body) for _, p in names], declared)
    return build


def one_part_many_times(times: int, megabytes: int) -> Build:
    """One sheet part listed ``times`` times in workbook.xml, its directory saying ``megabytes`` MB."""
    def build(folder: Path) -> Path:
        names = [(f"同一表{i}", "xl/worksheets/same.xml") for i in range(times)]
        parts = _with_sheets(folder, names)
        return raw_zip(folder / "same.xlsx", parts + [("xl/worksheets/same.xml", padded_sheet(0))],
                       {"xl/worksheets/same.xml": megabytes * MB})
    return build


def declared_part(part: str, megabytes: int) -> Build:
    """The base workbook with the directory saying that ``part`` unpacks to ``megabytes`` MB."""
    def build(folder: Path) -> Path:
        parts = copy_parts(_base(folder))
        return raw_zip(folder / "declared.xlsx", parts, {part: megabytes * MB})
    return build


def understated_sheet(title: str) -> Build:
    """A sheet part that unpacks to far more than its directory entry says (the reader must stop at the stated size)."""
    def build(folder: Path) -> Path:
        src = _base(folder)
        target = _sheet_part(src, title)
        parts = dict(copy_parts(src))
        real = parts[target]
        grown = deflate([zipfile.ZipFile(src).read(target).replace(b"</worksheet>", b" " * (8 * MB) + b"</worksheet>")])
        parts[target] = Deflated(grown.data, real.crc, grown.size)
        return raw_zip(folder / "understated.xlsx", list(parts.items()), {target: real.size})
    return build


def padded_structure(part: str, megabytes: int) -> Build:
    """A structure part (workbook.xml, a relationships part) padded with ``megabytes`` MB of white space."""
    def build(folder: Path) -> Path:
        pad = b" " * (megabytes * MB)
        return _rezip(_base(folder), folder / "structure.xlsx",
                      lambda n, d: re.sub(rb"(<[A-Za-z]+ )", lambda m: m[1] + pad, d, count=1) if n == part else d)
    return build


def many_entries(count: int) -> Build:
    """The base workbook and ``count`` tiny extra parts (custom XML), as a zip directory of ``count`` entries."""
    def build(folder: Path) -> Path:
        parts = copy_parts(_base(folder))
        tiny = deflate([b"<x/>"])
        return raw_zip(folder / "entries.xlsx", parts + [(f"customXml/item{i}.xml", tiny) for i in range(count)])
    return build


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def billion_laughs(folder: Path) -> Path:
    """workbook.xml declaring entities that expand to 10^9 copies (the expat parser refuses the amplification)."""
    return _rezip(_base(folder), folder / "laughs.xlsx", lambda n, d: LAUGHS.encode() + re.sub(
        rb"^<\?xml[^>]*\?>", b"", d).replace(b'name="', b'name="&lol9;', 1) if n == "xl/workbook.xml" else d)
