"""What a file handed to the importer really is, when it is not an .xlsx workbook.

An .xlsx file is a zip container. Files that are not get a message naming
what they are, from their first bytes (and, for the old Office container,
the names of its streams), with what to do:

- an encrypted workbook (an OLE compound file holding ``EncryptedPackage``):
  remove the password in Excel or WPS and save again;
- an Excel 97–2003 workbook (.xls, WPS .et: OLE with a ``Workbook`` or
  ``Book`` stream) renamed to .xlsx: save as .xlsx;
- a web page, an Excel 2003 XML spreadsheet, a CSV or other text file, a PDF,
  an image, an empty file, a zip cut short;
- a zip that is not a workbook (a Word or OpenDocument file, a .xlsb).
"""

from __future__ import annotations

from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
SAVE_AS = "请在 Excel 或 WPS 中打开，「另存为」Excel 工作簿（*.xlsx）后再导入"
_SCAN_CHUNK = 1 << 20
_HEAD = 4096


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


# Stream names of the OLE directory (UTF-16), in the order they are looked for.
OLE_KINDS = (
    (_utf16("EncryptedPackage"), "这是加密的工作簿（设置了打开密码），无法读取。请在 Excel 或 WPS 中用密码打开，"
     "取消密码（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码；WPS：文件 → 文档加密 → 密码加密，"
     "清空密码）后另存为 .xlsx，再导入"),
    (_utf16("WordDocument"), "这是 Word 文档（.doc），不是台账工作簿；请导入 Excel 台账（.xlsx）"),
    (_utf16("Workbook"), "这是旧版 Excel 97-2003 工作簿（.xls 或 WPS 的 .et），只是扩展名改成了 .xlsx；" + SAVE_AS),
    (_utf16("Book"), "这是旧版 Excel 5.0/95 工作簿（.xls），只是扩展名改成了 .xlsx；" + SAVE_AS),
)
OTHER_ZIPS = (
    ("word/document.xml", "这是 Word 文档（.docx），不是台账工作簿；请导入 Excel 台账（.xlsx）"),
    ("ppt/presentation.xml", "这是 PowerPoint 演示文稿（.pptx），不是台账工作簿；请导入 Excel 台账（.xlsx）"),
    ("xl/workbook.bin", "这是 Excel 二进制工作簿（.xlsb），只是扩展名改成了 .xlsx；" + SAVE_AS),
    ("content.xml", "这是 OpenDocument 文件（如 WPS、LibreOffice 的 .ods），只是扩展名改成了 .xlsx；" + SAVE_AS),
)


def describe(path: str | Path) -> str | None:
    """What the file is and what to do, when its first bytes show it is not a zip container; else ``None``."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(_HEAD)
    if not head:
        return "文件是空的（0 字节），可能没有保存完或没有下载完整；请重新保存或重新获取文件后再导入"
    if head.startswith(ZIP_MAGIC):
        return None
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    return _other_kind(head)


def damaged_zip() -> str:
    """The message of a file that starts like a zip but whose zip directory cannot be read."""
    return ("文件不完整或已损坏（压缩包的目录读不出来），多是没有保存完、没有下载完整或传输中断；"
            "请重新保存或重新获取文件，能在 Excel 或 WPS 中正常打开后再导入")


def not_a_workbook(names: set[str]) -> str:
    """The message of a zip container without an Excel workbook in it."""
    for part, message in OTHER_ZIPS:
        if part in names:
            return message
    return "压缩包中没有 Excel 工作簿的内容（xl/workbook.xml），不是 .xlsx 工作簿；" + SAVE_AS


def _ole_kind(path: Path) -> str:
    """The kind of an OLE compound file, by the stream names in its directory (searched in the whole file)."""
    found = set()
    longest = max(len(name) for name, _ in OLE_KINDS)
    with path.open("rb") as f:
        tail = b""
        while chunk := f.read(_SCAN_CHUNK):
            window = tail + chunk
            found |= {name for name, _ in OLE_KINDS if name in window}
            tail = window[-longest:]
    for name, message in OLE_KINDS:
        if name in found:
            return message
    return "这是旧版 Office 文件（OLE 复合文档），不是 .xlsx 工作簿；如果是 Excel 文件，" + SAVE_AS


def _other_kind(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "这是 PDF 文件，不是台账工作簿；请导入 Excel 台账（.xlsx）原件"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "这是图片文件，不是台账工作簿；请导入 Excel 台账（.xlsx）原件"
    if head.startswith(b"{\\rtf"):
        return "这是 RTF 文档，不是台账工作簿；请导入 Excel 台账（.xlsx）"
    text = _as_text(head)
    if text is None:
        return "不是 .xlsx 工作簿（文件开头不是 Excel 工作簿应有的 zip 压缩包标志）；" + SAVE_AS
    start = text.lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in start:
        return "这是 Excel 2003 XML 表格（.xml），只是扩展名改成了 .xlsx；" + SAVE_AS
    if start.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or "<html" in start[:1024]:
        return ("这是网页文件（HTML），只是扩展名是 .xlsx：有些系统的「导出 Excel」导出的其实是网页表格；" + SAVE_AS)
    if start.startswith("<"):
        return "这是 XML 或网页一类的文本文件，不是 .xlsx 工作簿；" + SAVE_AS
    return "这是文本文件（如 CSV 或制表符分隔的文本），只是扩展名是 .xlsx；" + SAVE_AS


def _as_text(head: bytes) -> str | None:
    """The first bytes as text, when they are text (UTF-8, UTF-16 with a BOM, or GB18030); else ``None``."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            try:  # the 4 KB may end inside a character
                text = head[:-3].decode(encoding)
            except UnicodeDecodeError:
                continue
        if not any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x0e\x0f\x10\x11"):
            return text.lstrip("\ufeff")
    return None
