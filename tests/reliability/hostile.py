"""The hostile set of issue 27: workbooks of every kind of failure found, several variations each.

Each case is refused with a located Chinese message (its reason code, a fragment of the message and, for
a cell, the sheet, Excel row and column), or imported faithfully: the database then holds exactly what
importing ``expect`` (the same data written plainly) gives. Kinds:

- ``traceback``: values that crashed the import (a 参与人次 of 1e20 raised OverflowError);
- ``limits``: what docs/ledger.md promises (a cell ≤ 32,767 characters, sheet names in simplified characters);
- ``lookalike``: invisible characters in codes, references and names;
- ``id``: ID numbers (check character, birth date, agreement with 出生日期);
- ``real``: real files that were refused (WPS formatted rows, a row far down, empty sheets);
- ``messages``: files told something misleading (encrypted, .xls, web pages, another station's row);
- ``memory``: files built to exhaust memory or time before being refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hostile_cells as hc
import hostile_files as hf
from corpus import _base
from ledger_books import BASE, base_sheets, rows, write_book
from rel_helpers import station_sheets

from sgzlib.ledger import xlsx

D = dt.date.fromisoformat
KINDS = ("traceback", "limits", "lookalike", "id", "real", "messages", "memory")


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    build: Callable[[Path], Path]
    code: str | None = None  # refused: a reason code of one of its problems; None: imported
    says: str = ""  # a fragment of that problem's Chinese text, or of an import note
    at: tuple | None = None  # (sheet, Excel row, column) of the refused cell, or (file,) for a file
    expect: Callable[[Path], Path] | None = None  # imported: the plain workbook giving the same database
    prune: bool = False

    @property
    def refused(self) -> bool:
        return self.code is not None


def refused(id, kind, build, code, says, at=None, prune=False) -> Case:
    return Case(id, kind, build, code, says, at, prune=prune)


def imported(id, kind, build, expect, says="", prune=False) -> Case:
    return Case(id, kind, build, None, says, None, expect, prune)


def plain(folder: Path) -> Path:
    return _base(folder, "plain.xlsx")


def with_record(table: str, record: dict, sheets: Callable[[], dict] = base_sheets, name="expect.xlsx"):
    def build(folder: Path) -> Path:
        out = sheets()
        title = next(t for t in out if out[t][0] == rows(table, [])[0])
        out[title] = out[title] + rows(table, [record])[1:]
        return write_book(folder / name, out)
    return build


S003 = dict(BASE["services"][1], code="S003", summary="入户探访")
S2_SERVICE = dict(BASE["services"][1], code="X9", station_code="S2", beneficiary_codes="B9")
LONG = "长" * 32_768
VALID_ID = hc.id_number("110101", "19900307", "123")
X_ID = hc.id_ending_in_x()
X_BIRTH = D(f"{X_ID[6:10]}-{X_ID[10:12]}-{X_ID[12:14]}")


def s1_only() -> dict:
    return station_sheets("S1")


def s1_with(table: str, record: dict) -> Callable[[Path], Path]:
    return with_record(table, record, s1_only, "stray.xlsx")


TRACEBACK = [
    refused("attendance-1e20", "traceback", hc.edit(("服务记录", 2, "参与人次", 1e20)), "out_of_range",
            "0 至 100,000", ("服务记录", 2, "参与人次")),
    refused("sign-in-24-digits", "traceback", hc.edit(("小组活动", 2, "签到人数", "9" * 24)), "out_of_range",
            "24 位数字", ("小组活动", 2, "签到人数")),
    refused("minutes-5000-digits", "traceback", hc.edit(("个案服务", 2, "时长(分钟)", "9" * 5000)), "out_of_range",
            "5000 位数字", ("个案服务", 2, "时长(分钟)")),
    refused("budget-1e308", "traceback", hc.edit(("项目", 2, "合同金额(元)", 1e308)), "out_of_range",
            "0 至 100,000,000", ("项目", 2, "合同金额(元)")),
    refused("session-minus-1e20", "traceback", hc.edit(("个案服务", 3, "节次", -1e20)), "below_minimum",
            "不能小于 1", ("个案服务", 3, "节次")),
    refused("score-inf", "traceback", hc.raw_cell("前后测", 2, "得分", hc.number_xml("INF")), "bad_money",
            "不是金额数字", ("前后测", 2, "得分")),
    refused("year-99999", "traceback", hc.edit(("项目", 2, "年度", 99999)), "out_of_range", "2000 至 2100",
            ("项目", 2, "年度")),
    refused("date-serial-1e10", "traceback", hc.raw_cell("服务记录", 2, "服务日期", hc.number_xml("1e10", ' s="1"')),
            "bad_date", "不是有效日期", ("服务记录", 2, "服务日期")),
    refused("attendance-nan-text", "traceback", hc.edit(("服务记录", 3, "参与人次", "NaN")), "bad_int", "不是整数",
            ("服务记录", 3, "参与人次")),
    refused("minutes-two-days", "traceback", hc.edit(("个案服务", 2, "时长(分钟)", 2881)), "out_of_range",
            "0 至 1440", ("个案服务", 2, "时长(分钟)")),
]

LIMITS = [
    refused("inline-32768", "limits", hc.raw_cell("服务记录", 2, "内容摘要", hc.inline(LONG)), "too_long",
            "32,768 个字符", ("服务记录", 2, "内容摘要")),
    refused("shared-1048576", "limits", hc.shared_long("服务记录", 3, "内容摘要", "长" * 1_048_576), "too_long",
            "1,048,576 个字符", ("服务记录", 3, "内容摘要")),
    refused("formula-result-40000", "limits", hc.raw_cell("服务记录", 2, "地点", hc.formula_text("长" * 40_000)),
            "too_long", "40,000 个字符", ("服务记录", 2, "地点")),
    refused("rich-runs-32768", "limits", hc.raw_cell("服务对象", 2, "姓名", hc.rich_runs("张" * 16_384, "三" * 16_384)),
            "too_long", "32,768 个字符", ("服务对象", 2, "姓名")),
    refused("code-100000", "limits", hc.raw_cell("服务记录", 2, "记录编号", hc.inline("S" * 100_000)), "too_long",
            f"{xlsx.MAX_CELL_CHARS:,} 个字符的上限", ("服务记录", 2, "记录编号")),
    imported("exactly-32767", "limits", hc.edit(("服务记录", 2, "内容摘要", "长" * 32_767)),
             hc.edit(("服务记录", 2, "内容摘要", "长" * 32_767), name="expect.xlsx")),
    refused("traditional-title", "limits", hc.renamed_sheet("服务记录", "服務記錄"), "lookalike_sheet",
            "改为「服务记录」", ("服務記錄",)),
    refused("traditional-title-with-year", "limits", hc.renamed_sheet("服务记录", "2025年服務記錄台賬"),
            "lookalike_sheet", "改为「服务记录」", ("2025年服務記錄台賬",)),
    refused("traditional-case-sessions", "limits", hc.renamed_sheet("个案服务", "個案服務"), "lookalike_sheet",
            "改为「个案服务」", ("個案服務",)),
    refused("traditional-one-character", "limits", hc.renamed_sheet("社工站", "社工站點"), "lookalike_sheet",
            "「點」", ("社工站點",)),
    refused("traditional-in-brackets", "limits", hc.renamed_sheet("小组", "小组（長青站）"), "lookalike_sheet",
            "「長」", ("小组（長青站）",)),
    refused("traditional-headers", "limits", hc.headers_replaced("服务记录", {
        "记录编号": "記錄編號", "站点编码": "站點編碼", "服务日期": "服務日期", "领域": "領域", "服务类别": "服務類別"}),
        "lookalike_header", "表头「記錄編號」用了繁体字", ("服务记录", 1, "记录编号")),
]

LOOKALIKE = [
    imported("zwsp-person-code", "lookalike", hc.edit(("服务对象", 2, "对象编码", "\u200bB1")), plain,
             "U+200B（零宽空格）"),
    imported("bom-service-code", "lookalike", hc.edit(("服务记录", 2, "记录编号", "\ufeffS001")), plain,
             "U+FEFF（字节顺序标记 BOM）"),
    imported("zwj-in-reference", "lookalike", hc.edit(("服务记录", 2, "服务对象编码", "B\u200d1、B2")), plain,
             "服务对象编码」列的 F2"),
    imported("word-joiner-in-domain", "lookalike", hc.edit(("服务记录", 3, "领域", "社会\u2060救助")), plain, "U+2060"),
    imported("bel-in-name", "lookalike", hc.raw_cell("服务对象", 2, "姓名", hc.inline("张_x0007_三")), plain,
             "U+0007（控制字符）"),
    imported("zwsp-in-worker-name", "lookalike", hc.edit(("驻站人员", 2, "姓名", "王\u200b芳")), plain, "B2"),
    imported("zwsp-new-code", "lookalike", hc.add_row("services", dict(S003, code="\u200bS003")),
             with_record("services", S003), "U+200B"),
    refused("zwsp-twin-row", "lookalike", hc.add_row("beneficiaries", dict(BASE["beneficiaries"][0], code="\u200bB1",
                                                                            name="张叁")),
            "duplicate_key", "与第2行相同", ("服务对象", 5, "对象编码")),
    refused("rlo-before-code", "lookalike", hc.edit(("驻站人员", 2, "人员编码", "\u202eW1")), "bidi_control",
            "编码前有不可见字符 U+202E（从右到左强制）", ("驻站人员", 2, "人员编码")),
    refused("lrm-after-reference", "lookalike", hc.edit(("服务记录", 3, "站点编码", "S1\u200e")), "bidi_control",
            "编码后有不可见字符 U+200E", ("服务记录", 3, "站点编码")),
    refused("isolate-inside-reference", "lookalike", hc.edit(("个案服务", 2, "个案编号", "C\u20661")), "bidi_control",
            "编码中（第 1 个字符之后）有不可见字符 U+2066", ("个案服务", 2, "个案编号")),
    refused("rlo-in-name", "lookalike", hc.edit(("服务对象", 3, "姓名", "\u202e四李")), "bidi_control",
            "姓名前有不可见字符 U+202E", ("服务对象", 3, "姓名")),
    refused("cyrillic-ve-in-new-code", "lookalike", hc.add_row("beneficiaries", dict(BASE["beneficiaries"][1],
                                                                                    code="\u04122")),
            "lookalike_character", "西里尔字母（U+0412），看起来像「B」", ("服务对象", 5, "对象编码")),
    refused("greek-beta-in-reference-list", "lookalike", hc.edit(("服务记录", 2, "服务对象编码", "B1、\u03922")),
            "lookalike_character", "编码「Β2」中的「Β」是希腊字母", ("服务记录", 2, "服务对象编码")),
    refused("en-dash-in-new-code", "lookalike", hc.add_row("services", dict(S003, code="S\u2013003")),
            "lookalike_character", "看起来像「-」", ("服务记录", 4, "记录编号")),
    refused("cyrillic-dze-in-station-reference", "lookalike", hc.edit(("服务记录", 3, "站点编码", "\u04051")),
            "lookalike_character", "看起来像「S」", ("服务记录", 3, "站点编码")),
    imported("zwsp-in-header", "lookalike", hc.headers_replaced("服务记录", {"记录编号": "\u200b记录编号"}), plain),
    imported("bom-in-sheet-title", "lookalike", hc.renamed_sheet("服务记录", "\ufeff服务记录"), plain),
    imported("prose-keeps-emoji-joiner", "lookalike",
             hc.edit(("服务记录", 2, "内容摘要", "全家👨\u200d👩\u200d👧合影")),
             hc.edit(("服务记录", 2, "内容摘要", "全家👨\u200d👩\u200d👧合影"), name="expect.xlsx")),
]

ID = [
    refused("id-check-character", "id", hc.person(VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"),
                                                  D("1990-03-07")),
            "bad_id_number", f"应为 {VALID_ID[-1]}", ("服务对象", 2, "身份证号")),
    refused("id-february-30", "id", hc.person(hc.id_number("110101", "19900230", "123")), "bad_id_number",
            "1990-02-30 不是真实存在的日期", ("服务对象", 2, "身份证号")),
    refused("id-disagrees-with-birth", "id", hc.person(VALID_ID, D("1990-07-03")), "id_birth_mismatch",
            "1990-03-07", ("服务对象", 2, "出生日期")),
    refused("id-17-characters", "id", hc.person(VALID_ID[:17]), "bad_id_number", "有 17 位", ("服务对象", 2, "身份证号")),
    refused("id-15-digits", "id", hc.person("110101900307123"), "bad_id_number", "15 位", ("服务对象", 2, "身份证号")),
    refused("id-x-inside", "id", hc.person("11010119900X071234"), "bad_id_number", "X 只能是最后一位",
            ("服务对象", 2, "身份证号")),
    refused("id-born-2090", "id", hc.person(hc.id_number("110101", "20900307", "123")), "bad_id_number", "晚于今天",
            ("服务对象", 2, "身份证号")),
    refused("id-masked", "id", hc.person("110101********1234"), "bad_id_number", "脱敏", ("服务对象", 2, "身份证号")),
    refused("id-typed-as-number", "id", hc.person(float(VALID_ID[:17] + "1")), "bad_code", "16 位以上",
            ("服务对象", 2, "身份证号")),
    imported("id-lower-case-x", "id", hc.person(X_ID.lower(), X_BIRTH), hc.person(X_ID, X_BIRTH)),
    imported("id-with-spaces", "id", hc.person(f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}", D("1990-03-07")),
             hc.person(VALID_ID, D("1990-03-07"))),
    imported("id-full-width", "id", hc.person(VALID_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                                              D("1990-03-07")), hc.person(VALID_ID, D("1990-03-07"))),
    imported("id-without-birth-date", "id", hc.person(VALID_ID), hc.person(VALID_ID)),
]

REAL = [
    imported("wps-250000-formatted-rows", "real", hc.sheet_xml("服务记录", hc.append_rows(
        lambda: hc.formatted_rows(4, 250_004), "A1:K250003")), plain),
    imported("record-on-row-1048576", "real", hc.sheet_xml("服务记录", hc.move_row(4, 1_048_576),
                                                           src=hc.add_row("services", S003, name="s003.xlsx")),
             with_record("services", S003)),
    imported("dimension-says-1048576", "real", hc.sheet_xml("服务记录", hc.append_rows(lambda: b"", "A1:XFD1048576")),
             plain),
    imported("empty-sheet", "real", hc.empty_sheet("小组活动"), plain, "是空的"),
    imported("empty-sheet-pruned", "real", hc.empty_sheet("小组活动"),
             lambda f: write_book(f / "expect.xlsx", base_sheets(group_sessions=rows("group_sessions", []))),
             "是空的", prune=True),
    imported("empty-formatted-sheet", "real", hc.empty_sheet("个案服务", formatted=True), plain, "是空的"),
    imported("header-after-50-formatted-rows", "real", hc.sheet_xml("服务对象", hc.shift_down(50)), plain),
    imported("every-row-spread-by-20000", "real", hc.sheet_xml("服务记录", hc.spread_out(20_000)), plain),
    imported("column-merged-to-the-last-row", "real", hc.sheet_xml("服务记录", hc.merged("H4:H1048576")), plain),
    imported("repeated-dates-merged", "real", hc.sheet_xml("小组活动", hc.merged("C2:C3")),
             lambda f: write_book(f / "expect.xlsx", base_sheets(group_sessions=rows("group_sessions", [
                 BASE["group_sessions"][0], dict(BASE["group_sessions"][1], date=BASE["group_sessions"][0]["date"])])))),
    imported("stray-row-without-prune", "real", hc.add_row("services", S2_SERVICE), with_record("services", S2_SERVICE)),
]

MESSAGES = [
    refused("encrypted-workbook", "messages", hf.ole(hf.ENCRYPTED), "bad_file", "这是加密的工作簿", ("ole.xlsx",)),
    refused("xls-renamed", "messages", hf.ole({"Workbook": hf.BIFF8}), "bad_file", "旧版 Excel 97-2003",
            ("ole.xlsx",)),
    refused("excel95-renamed", "messages", hf.ole({"Book": hf.BIFF8}), "bad_file", "Excel 5.0/95", ("ole.xlsx",)),
    refused("doc-renamed", "messages", hf.ole({"WordDocument": b"\xec\xa5" + b"\0" * 600}), "bad_file",
            "Word 文档（.doc）", ("ole.xlsx",)),
    refused("html-table", "messages", hf.raw_bytes(hf.HTML_TABLE), "bad_file", "网页文件", ("file.xlsx",)),
    refused("excel-web-page", "messages", hf.raw_bytes(hf.EXCEL_WEB_PAGE), "bad_file", "网页文件", ("file.xlsx",)),
    refused("spreadsheet-2003-xml", "messages", hf.raw_bytes(hf.SPREADSHEET_2003), "bad_file", "Excel 2003 XML",
            ("file.xlsx",)),
    refused("csv-utf8", "messages", hf.raw_bytes(hf.CSV_ROWS.encode()), "bad_file", "文本文件", ("file.xlsx",)),
    refused("csv-gbk", "messages", hf.raw_bytes(hf.CSV_ROWS.encode("gbk")), "bad_file", "文本文件", ("file.xlsx",)),
    refused("tsv-utf16", "messages", hf.raw_bytes(hf.CSV_ROWS.replace(",", "\t").encode("utf-16")), "bad_file",
            "文本文件", ("file.xlsx",)),
    refused("pdf-renamed", "messages", hf.raw_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"), "bad_file",
            "PDF", ("file.xlsx",)),
    refused("png-renamed", "messages", hf.raw_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "bad_file", "图片",
            ("file.xlsx",)),
    refused("empty-file", "messages", hf.raw_bytes(b""), "bad_file", "文件是空的", ("file.xlsx",)),
    refused("docx-renamed", "messages", hf.zip_of({"word/document.xml": b"<w:document/>"}), "bad_file",
            "Word 文档（.docx）", ("zip.xlsx",)),
    refused("ods-renamed", "messages", hf.ods(), "bad_file", "OpenDocument", ("ods.xlsx",)),
    refused("xlsb-renamed", "messages", hf.zip_of({"xl/workbook.bin": b"\x83\x01\x00"}), "bad_file", ".xlsb",
            ("zip.xlsx",)),
    refused("cut-at-90-percent", "messages", hf.truncated(0.9), "bad_file", "文件不完整", ("cut.xlsx",)),
    refused("stray-service-pruned", "messages", s1_with("services", S2_SERVICE), "stray_station", "属于站点「S2」",
            ("服务记录", 4, "站点编码"), prune=True),
    refused("stray-person-pruned", "messages", s1_with("beneficiaries", BASE["beneficiaries"][2]), "stray_station",
            "属于站点「S2」", ("服务对象", 4, "站点编码"), prune=True),
    refused("stray-measurement-pruned", "messages", s1_with("measurements", dict(
        BASE["measurements"][0], beneficiary_code="B9", case_code=None, date=D("2025-03-01"))), "stray_station",
        "属于站点「S2」", ("前后测", 4, "对象编码"), prune=True),
]

MB = xlsx.MAX_TOTAL_BYTES // 2 ** 20
MEMORY = [
    refused("five-230mb-parts", "memory", hf.big_parts(5, 230, real=True), "bad_file", f"超过 {MB:,} MB 的上限",
            ("big.xlsx",)),
    refused("four-250mb-parts-under-the-total", "memory", hf.big_parts(4, 250, real=True), "bad_file",
            "一行）超过 64 MB", ("big.xlsx",)),
    refused("cell-of-70mb", "memory", hc.raw_cell("服务记录", 2, "内容摘要", hc.inline("长" * (24 * 2 ** 20))),
            "bad_file", "一行）超过 64 MB", ("raw.xlsx",)),
    refused("five-parts-said-230mb", "memory", hf.big_parts(5, 230, real=False), "bad_file", "合计约 1,1",
            ("big.xlsx",)),
    refused("one-part-listed-5-times", "memory", hf.one_part_many_times(5, 230), "bad_file", "未读取内容",
            ("same.xlsx",)),
    refused("styles-said-300mb", "memory", hf.declared_part("xl/styles.xml", 300), "bad_file", "单个部件解压后不超过 256 MB",
            ("declared.xlsx",)),
    refused("workbook-xml-17mb", "memory", hf.padded_structure("xl/workbook.xml", 17), "bad_file",
            "单个部件解压后不超过 16 MB", ("structure.xlsx",)),
    refused("relationships-17mb", "memory", hf.padded_structure("xl/_rels/workbook.xml.rels", 17), "bad_file",
            "单个部件解压后不超过 16 MB", ("structure.xlsx",)),
    refused("zip-of-150000-parts", "memory", hf.many_entries(150_000), "bad_file", "100,000 个的上限",
            ("entries.xlsx",)),
    imported("merge-across-the-whole-sheet", "memory", hc.sheet_xml("服务记录", hc.merged("A4:XFD1048576")), plain),
    refused("2000-overlapping-merges", "memory", hc.sheet_xml("服务记录", hc.merged(*["A2:A3"] * 2000)), "bad_file",
            "2,000 个合并区域覆盖", ("shaped.xlsx",)),
    refused("billion-laughs", "memory", hf.billion_laughs, "bad_file", "工作簿结构无法识别", ("laughs.xlsx",)),
    refused("sheet-bigger-than-said", "memory", hf.understated_sheet("服务记录"), "bad_file", "已损坏",
            ("understated.xlsx",)),
]

CASES: list[Case] = TRACEBACK + LIMITS + LOOKALIKE + ID + REAL + MESSAGES + MEMORY
assert len({c.id for c in CASES}) == len(CASES)
assert all(sum(c.kind == k for c in CASES) >= 5 for k in KINDS)
assert {c.kind for c in CASES} == set(KINDS)

