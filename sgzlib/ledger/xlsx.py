"""A lean streaming reader of the cell values of an .xlsx file.

openpyxl writes our workbooks, and its helpers decide here which number
formats are dates and turn serials into dates; but its read-only mode builds
a styled object per shared string and per inline string, which for a
100,000-row sheet saved by LibreOffice (rich-text runs in most strings) took
minutes on the project's 2-core machine. This module reads only what an
import needs: sheet names, each cell's value (shared, inline and formula
strings, numbers, booleans, dates by their number format) and number format,
the stored sheet size and the merged ranges, streaming each sheet once with
the standard library's C-accelerated ElementTree.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from . import filekind

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
           "http://purl.oclc.org/ooxml/officeDocument/relationships")
# Built-in number formats that are dates in Chinese (and other East Asian) locales; openpyxl does not list them.
EAST_ASIAN_DATES = frozenset(range(27, 32)) | {36} | frozenset(range(50, 59))
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*[0-9]*:?[A-Z]*([0-9]+)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


# Limits on what one workbook may make us hold (a zip bomb, a sheet of a million rows): the uncompressed
# size of one part, and of all the parts the reader reads together (checked from the sizes the zip directory
# declares before anything is read, and again while reading), the parts of the container, the rows with
# data of a sheet, the shared strings, and one element (a row, a shared string) of a part, so that no single
# piece is parsed whole. docs/ledger.md「导入时的检查与上限」 lists them. A text longer than Excel's limit of one cell
# comes as a ``CellFault`` of kind ``too_long`` (its length, not its text), refused at its cell.
MAX_PART_BYTES = 256 * 2 ** 20
MAX_STRUCTURE_BYTES = 16 * 2 ** 20  # workbook.xml, relationships, document properties
MAX_TOTAL_BYTES = 1024 * 2 ** 20
MAX_ENTRIES = 100_000
MAX_ROWS = 200_000
MAX_SHARED_STRINGS = 2_000_000
MAX_ELEMENT_BYTES = 64 * 2 ** 20  # a ledger row is a few KB; Excel's widest row of full cells is ~1.5 GB
MAX_CELL_CHARS = 32_767  # Excel's own limit of one cell
_READ_CHUNK = 1 << 20
_MB = 2 ** 20


@dataclass(frozen=True)
class SheetRef:
    title: str
    path: str  # part name inside the zip
    hidden: bool = False


@dataclass(frozen=True)
class CellFault:
    """A cell whose value cannot be used: a formula error (``#DIV/0!``) or a formula saved without its result."""

    ref: str
    kind: str  # "error", "no_value" or "too_long"
    text: str  # the error value, the formula, or the number of characters

    def __str__(self) -> str:
        return self.text


class XlsxError(ValueError):
    """The file is not a readable .xlsx workbook."""


class LimitError(XlsxError):
    """The file is beyond one of the limits above (its message names the limit)."""


class KindError(XlsxError):
    """The file is something else than an .xlsx workbook; its message says what, and what to do."""


class Book:
    """An open .xlsx file: its sheets, shared strings and number formats."""

    def __init__(self, path) -> None:
        self.read_bytes = 0
        kind = filekind.describe(path)
        if kind:
            raise KindError(kind)
        _check_entries(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise KindError(filekind.damaged_zip()) from exc
        self.names = set(self.zip.namelist())
        try:
            self._load()
            self._check_total()
        except XlsxError:
            self.zip.close()
            raise
        except (KeyError, ET.ParseError, ValueError, IndexError) as exc:
            self.zip.close()
            raise XlsxError(f"工作簿结构无法识别（{exc}）") from exc

    def read(self, part: str, most: int = MAX_PART_BYTES) -> bytearray:
        """A part's bytes, read in pieces and stopped at the size limits (the sizes the zip declares may lie).

        ``most`` bounds this part: ``MAX_PART_BYTES`` for sheets, strings and styles, ``MAX_STRUCTURE_BYTES``
        for the small parts that list them.
        """
        if part not in self.names:
            raise XlsxError(f"文件中缺少部件 {part}")
        limit = min(most, MAX_TOTAL_BYTES - self.read_bytes)
        which = (f"单个部件解压后不超过 {most // _MB} MB" if limit == most
                 else f"全部部件解压后合计不超过 {MAX_TOTAL_BYTES // _MB} MB")
        too_big = LimitError(f"部件 {part} 解压后超过上限（{which}），可能是被构造的压缩炸弹，已拒绝")
        declared = self.zip.getinfo(part).file_size
        if declared > limit:  # the zip module never yields more than the declared size
            raise too_big
        data = bytearray(declared)  # filled in place: the part is held once, not as pieces and their join
        view, size = memoryview(data), 0
        try:
            with self.zip.open(part) as stream:
                while size < declared and (got := stream.readinto(view[size:size + _READ_CHUNK])):
                    size += got
                if stream.read(1):  # more than declared (the zip module stops at the declared size)
                    raise too_big
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise XlsxError(f"部件 {part} 已损坏（{exc}），文件可能没有完整保存或传输") from exc
        except (NotImplementedError, RuntimeError) as exc:  # unknown compression, encryption
            raise XlsxError(f"部件 {part} 无法读取（{exc}）；加密或特殊压缩的工作簿请另存为普通 .xlsx") from exc
        finally:
            view.release()
        if size < declared:
            raise XlsxError(f"部件 {part} 已损坏（比文件目录中写的短），文件可能没有完整保存或传输")
        self.read_bytes += size
        return data

    def close(self) -> None:
        self.zip.close()

    # -- structure ------------------------------------------------------------

    def _load(self) -> None:
        root_rels = self._rels("_rels/.rels", "")
        custom = next((t for kind, t in root_rels.values() if kind.endswith("/custom-properties")), None)
        self.custom_properties = self._custom(custom)
        workbook = next((t for kind, t in root_rels.values() if kind.endswith("/officeDocument")), "xl/workbook.xml")
        if workbook not in self.names:
            raise KindError(filekind.not_a_workbook(self.names))
        folder = posixpath.dirname(workbook)
        tree = ET.fromstring(self.read(workbook, MAX_STRUCTURE_BYTES))
        self.ns = tree.tag.split("}")[0] + "}"
        rels = self._rels(posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels"), folder)
        pr = tree.find(f"{self.ns}workbookPr")
        self.epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") \
            else CALENDAR_WINDOWS_1900
        self.sheets = []
        for sheet in tree.iter(f"{self.ns}sheet"):
            rid = next((sheet.get(f"{{{ns}}}id") for ns in DOC_REL if sheet.get(f"{{{ns}}}id")), None)
            kind, target = rels.get(rid, ("", ""))
            if kind.endswith("/worksheet"):
                hidden = sheet.get("state", "visible") in ("hidden", "veryHidden")
                self.sheets.append(SheetRef(sheet.get("name", ""), target, hidden))
        by_kind = {kind.rsplit("/", 1)[-1]: target for kind, target in rels.values()}
        self.shared_part, self.styles_part = by_kind.get("sharedStrings"), by_kind.get("styles")
        self.strings: list[str] = []
        self.formats: list[str] = []
        self.date_styles: frozenset[int] = frozenset()

    def _check_total(self) -> None:
        """Refuse, before reading them, parts whose declared sizes add up beyond the limits (a sheet read twice counts twice)."""
        planned = [p for p in (self.shared_part, self.styles_part) if p] + [s.path for s in self.sheets]
        sizes = [(p, self.zip.getinfo(p).file_size) for p in planned if p in self.names]
        total = self.read_bytes + sum(size for _, size in sizes)
        if total > MAX_TOTAL_BYTES:
            raise LimitError(f"工作簿的各部件解压后合计约 {total // _MB:,} MB，超过 {MAX_TOTAL_BYTES // _MB:,} MB 的上限"
                             "（可能是被构造的压缩炸弹），已拒绝，未读取内容；台账很大时请按年度或站点拆分为几个工作簿")
        for part, size in sizes:
            if size > MAX_PART_BYTES:
                raise LimitError(f"部件 {part} 解压后约 {size // _MB:,} MB，超过上限（单个部件解压后不超过 "
                                 f"{MAX_PART_BYTES // _MB} MB），可能是被构造的压缩炸弹，已拒绝")
        self.strings = self._strings(self.shared_part)
        self._styles(self.styles_part)

    def _rels(self, part: str, folder: str) -> dict[str, tuple[str, str]]:
        if part not in self.names:
            return {}
        out = {}
        for rel in ET.fromstring(self.read(part, MAX_STRUCTURE_BYTES)).iter(f"{{{REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id")] = (rel.get("Type", ""), target)
        return out

    def _custom(self, part: str | None) -> dict[str, str]:
        """Custom document properties (name → text)."""
        if not part or part not in self.names:
            return {}
        out = {}
        for prop in ET.fromstring(self.read(part, MAX_STRUCTURE_BYTES)):
            out[prop.get("name", "")] = "".join(prop.itertext())
        return out

    def _strings(self, part: str | None) -> list[str]:
        if not part or part not in self.names:
            return []
        return shared_strings(self.read(part))

    def _styles(self, part: str | None) -> None:
        if not part or part not in self.names:
            return
        tree = ET.fromstring(self.read(part))
        custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in tree.iter(f"{self.ns}numFmt")}
        xfs = tree.find(f"{self.ns}cellXfs")
        ids = [int(xf.get("numFmtId", "0")) for xf in (xfs if xfs is not None else [])]
        self.formats = [custom.get(i, BUILTIN_FORMATS.get(i, "General")) for i in ids]
        self.date_styles = frozenset(n for n, (i, f) in enumerate(zip(ids, self.formats))
                                     if i in EAST_ASIAN_DATES or is_date_format(f))

    def number_format(self, style: int) -> str:
        return self.formats[style] if 0 <= style < len(self.formats) else "General"

    # -- cells ----------------------------------------------------------------

    def sheet_data(self, sheet: SheetRef) -> SheetData:
        """The sheet's XML; refused when its part is missing (its rows are counted as they are read)."""
        if sheet.path not in self.names:
            raise XlsxError(f"工作表「{sheet.title}」的内容（{sheet.path}）在文件中缺失")
        return SheetData(self, self.read(sheet.path), sheet.title)


def _check_entries(path) -> None:
    """Refuse a zip directory of more than ``MAX_ENTRIES`` parts before the zip module reads it all."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 65_557))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return  # no end record found here: the zip module says what is wrong
    entries = int.from_bytes(tail[at + 10:at + 12], "little")
    if entries == 0xFFFF:  # zip64: the count is in the zip64 end record
        z64 = tail.rfind(b"PK\x06\x06", 0, at)
        entries = int.from_bytes(tail[z64 + 32:z64 + 40], "little") if z64 >= 0 else 0
    if entries > MAX_ENTRIES:
        raise LimitError(f"压缩包中有 {entries:,} 个部件，超过 {MAX_ENTRIES:,} 个的上限（台账工作簿只有几十到几百个），"
                         "可能是被构造的文件，已拒绝")


class SheetData:
    """One sheet's XML, read whole (for its size and merges) and streamed row by row."""

    def __init__(self, book: Book, data: bytes, title: str = "") -> None:
        self.book, self.data, self.title = book, data, title

    @property
    def max_row(self) -> int | None:
        m = _DIMENSION.search(self.data, 0, 4096)
        return int(m[1]) if m else None

    def merged(self) -> list[tuple[int, int, int, int]]:
        """(min_col, min_row, max_col, max_row) of every merged range."""
        start = self.data.find(b"mergeCells", max(self.data.rfind(b"sheetData"), 0))
        if start < 0:
            return []
        return [range_boundaries(ref.decode()) for ref in _MERGE.findall(self.data, start)]

    def rows(self) -> Iterator[tuple[int, list, list[int]]]:
        """(Excel row number, values by column from A, style index of each value) for every stored row.

        Rows with data (a cell with a value) are counted: past ``MAX_ROWS`` the sheet is refused. Rows a
        program stored only for their format (WPS writes thousands), and the rows skipped to a row far
        down, do not count: the limit is about data, not about the sheet's stated size.

        A formula error or a formula saved without its result comes as a ``CellFault``.
        Raises ``XlsxError`` for XML or cell references that cannot be read.
        """
        try:
            yield from self._rows()
        except (ET.ParseError, ValueError, IndexError, KeyError) as exc:
            if isinstance(exc, XlsxError):
                raise
            raise XlsxError(f"工作表「{self.title}」的内容无法识别（{exc}）") from exc

    def _rows(self) -> Iterator[tuple[int, list, list[int]]]:
        ns = self.book.ns
        v_tag, is_tag, t_tag, r_tag, f_tag = (f"{ns}{n}" for n in ("v", "is", "t", "r", "f"))
        strings, dates, epoch = self.book.strings, self.book.date_styles, self.book.epoch
        last = filled = 0
        for el in children(self.data, "sheetData", "row", f"工作表「{self.title}」"):
            r = el.get("r")
            last = int(r) if r else last + 1
            values: list = []
            styles: list[int] = []
            for c in el:
                ref = c.get("r")
                if ref:
                    idx = column_index_from_string(ref.rstrip("0123456789")) - 1
                    if idx > len(values):
                        values.extend([None] * (idx - len(values)))
                        styles.extend([0] * (idx - len(styles)))
                s = c.get("s")
                style = int(s) if s else 0
                kind = c.get("t", "n")
                if kind == "inlineStr":
                    box = c.find(is_tag)
                    direct = None if box is None else box.find(t_tag)
                    value = None if box is None else _unescape(
                        (direct.text or "") if direct is not None else "".join(x.findtext(t_tag) or "" for x in box.iter(r_tag)))
                else:
                    text = c.findtext(v_tag)
                    if kind == "e":
                        value = CellFault(ref or "", "error", text or "")
                    elif not text:
                        formula = c.find(f_tag)
                        value = None if formula is None else CellFault(ref or "", "no_value", formula.text or "")
                    else:
                        value = _value(kind, text, style, strings, dates, epoch)
                if isinstance(value, Overlong) or (isinstance(value, str) and len(value) > MAX_CELL_CHARS):
                    value = CellFault(ref or "", "too_long", str(len(value)))
                values.append(value)
                styles.append(style)
            if any(v is not None and v != "" for v in values):
                filled += 1
                if filled > MAX_ROWS:
                    raise LimitError(f"工作表「{self.title}」有数据的行超过每个工作表 {MAX_ROWS} 行的上限"
                                     f"（到第 {last} 行已有 {filled} 行）；请按年度或站点拆分为几个工作簿分别导入")
            yield last, values, styles


_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?(\w+)[\s>/]")
CHUNK = 1 << 20


def children(data: bytes, container: str | None, child: str, label: str = "") -> Iterator[ET.Element]:
    """The ``child`` elements inside ``container`` (the root when ``None``) of an XML part, in order.

    The part is cut between child elements into pieces of about ``CHUNK``
    bytes, each wrapped in the root's own start tag (so every namespace
    prefix stays declared) and parsed whole by the C parser: no Python work
    per XML event, and memory bounded by the piece size.
    """
    root = _ROOT.search(data, data.find(b"<", data.find(b"?>") + 1 if data.startswith(b"<?") else 0))
    prefix, name = (root[1] or b""), root[2]
    open_end = data.index(b">", root.start()) + 1
    head, tail = data[root.start():open_end], b"</" + prefix + name + b">"
    if head.endswith(b"/>"):
        return
    start, end = open_end, data.rfind(tail)
    if container is not None:
        tag = b"<" + prefix + container.encode()
        at = data.find(tag, open_end)
        if at < 0:
            return
        close = data.index(b">", at)
        if data[close - 1:close] == b"/":
            return
        start, end = close + 1, data.rfind(b"</" + prefix + container.encode() + b">")
    marker = re.compile(b"<" + re.escape(prefix + child.encode()) + rb"[\s/>]")
    while start < end:
        cut = marker.search(data, min(start + CHUNK, end), end)
        stop = cut.start() if cut else end
        if stop - start > MAX_ELEMENT_BYTES:
            raise LimitError(f"{label}中有一项内容（一行）超过 {MAX_ELEMENT_BYTES // _MB} MB（台账的一行只有几 KB），"
                             "可能是被构造的文件，已拒绝")
        yield from ET.fromstring(head + data[start:stop] + tail)
        start = stop


_SI = re.compile(rb"<(?:\w+:)?si\s*/>|<(?:\w+:)?si(?:\s[^>]*)?>(.*?)</(?:\w+:)?si>", re.S)
_T = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)


def shared_strings(data: bytes) -> list[str | Overlong]:
    """The shared string table: each ``<si>``'s text (plain or rich-text runs), phonetic guides left out.

    The part is machine-written with a fixed shape (``si`` holding ``t`` or
    runs ``r`` of ``t``), so its texts are taken with two C-speed regular
    expressions instead of building an element per run: LibreOffice writes a
    run with its own font for every switch between Chinese and Latin text.
    """
    count = data.count(b"<si") + data.count(b":si>") + data.count(b":si ")
    if count > MAX_SHARED_STRINGS:
        raise LimitError(f"共享字符串表有约 {count} 项，超过 {MAX_SHARED_STRINGS} 项的上限，可能是被构造的文件，已拒绝")
    if b"rPh" in data:
        data = _PHONETIC.sub(b"", data)
    out: list[str | Overlong] = []
    for m in _SI.finditer(data):
        if m.end() - m.start() > MAX_ELEMENT_BYTES:
            raise LimitError(f"共享字符串表第 {len(out) + 1} 项超过 {MAX_ELEMENT_BYTES // _MB} MB，可能是被构造的文件，已拒绝")
        body = m[1]
        if not body:
            out.append("")
            continue
        texts = _T.findall(body)
        text = (texts[0] if len(texts) == 1 else b"".join(texts)).decode("utf-8")
        if "&" in text:
            text = html.unescape(text)
        text = _unescape(text)
        out.append(Overlong(len(text)) if len(text) > MAX_CELL_CHARS else text)
    return out


@dataclass(frozen=True)
class Overlong:
    """A shared string longer than Excel's limit of one cell, kept as its length."""

    length: int

    def __len__(self) -> int:
        return self.length


def _value(kind: str, text: str, style: int, strings: list[str], dates: frozenset[int], epoch):
    if kind == "n":
        try:
            number = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text
        if style in dates:
            try:
                return from_excel(number, epoch)
            except (ValueError, OverflowError):
                return number
        return number
    if kind == "s":
        try:
            if int(text) < 0:
                raise IndexError
            return strings[int(text)]
        except IndexError:
            raise XlsxError(f"共享字符串编号 {text} 不存在（文件损坏）") from None
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    return _unescape(text)  # "str" (formula result), "e" (error such as #N/A)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text
