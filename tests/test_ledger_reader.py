"""Reading ledgers as stations keep them: every quirk of the contract, cell by cell and as whole workbooks."""

from __future__ import annotations

import datetime as dt

import pytest
from ledger_books import BASE, D, base_sheets, header, rows, write_book

from sgzlib.domain import schema
from sgzlib.ledger import cells, headers, read_workbook
from sgzlib.ledger.cells import CellError

# -- cells ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("2026-03-05", D("2026-03-05")),
    ("2026/3/5", D("2026-03-05")),
    ("2026.3.5", D("2026-03-05")),
    ("2026年3月5日", D("2026-03-05")),
    ("2026年3月5号", D("2026-03-05")),
    ("２０２６年３月５日", D("2026-03-05")),  # full-width digits
    ("2026-03-05 14:30", D("2026-03-05")),  # a time typed after the date
    (46086, D("2026-03-05")),  # Excel serial: 1899-12-30 + 46086 days
    (46086.0, D("2026-03-05")),
    (20260305, D("2026-03-05")),  # yyyymmdd typed as a number
    (17899, D("1949-01-01")),  # a serial before 1990 (birth dates): 1899-12-30 + 17899 days
    (dt.datetime(2026, 3, 5, 0, 0), D("2026-03-05")),  # a real date cell
])
def test_every_date_form(value, expected):
    assert cells.parse_date_cell(value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "三月五日", "2026年3月", "0025-03-05", True, dt.time(10, 30)])
def test_not_dates(value):
    with pytest.raises(CellError):
        cells.parse_date_cell(value)


@pytest.mark.parametrize("value, number_format, expected", [
    ("001", None, "001"),  # text stays text
    (1, "General", "1"),  # Excel already dropped the zeros: nothing to restore
    (1.0, "General", "1"),
    (7, "000", "007"),  # the zeros Excel shows through a "000" format are kept
    (7, '"YL"000', "YL007"),
    (13812341234, "General", "13812341234"),  # a phone number typed as a number
    (" Ｓ１ ", None, "S1"),  # full-width letters, digits and spaces
])
def test_codes_typed_as_numbers_or_text(value, number_format, expected):
    assert cells.parse_code(value, number_format) == expected


def test_long_numbers_have_lost_digits_and_are_refused():
    # an 18-digit ID number typed as a number: Excel keeps 15 significant digits
    with pytest.raises(CellError, match="已丢失末尾的数字"):
        cells.number_text(1.50702199001011e17)


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("√", True), ("×", False), ("有", True), ("无", False),
    ("TRUE", True), ("false", False), (True, True), (1, True), (0.0, False), ("　是　", True),
])
def test_yes_no_variants(value, expected):
    assert cells.parse_bool_cell(value) is expected


@pytest.mark.parametrize("value, expected", [
    ("B1、B2", "B1、B2"), ("B1,B2", "B1、B2"), ("B1，B2；B3", "B1、B2、B3"), ("B1 B2\nB3", "B1、B2、B3"),
    ("B1、B1", "B1"), (12, "12"),
])
def test_list_separators(value, expected):
    assert cells.parse_list(value) == expected


@pytest.mark.parametrize("value, expected", [(12, 12), (12.0, 12), ("１２", 12), ("12人", 12), ("1,200", 1200),
                                             ("-3", -3)])
def test_whole_numbers(value, expected):
    assert cells.parse_int(value) == expected


@pytest.mark.parametrize("value", ["八", "3.5", 3.5, True])
def test_not_whole_numbers(value):
    with pytest.raises(CellError):
        cells.parse_int(value)


@pytest.mark.parametrize("value, factor, expected", [
    (100000, 1, 100000.0), ("100,000.50", 1, 100000.5), ("￥2000元", 1, 2000.0), ("10万", 1, 100000.0),
    (10, 10000, 100000.0),  # a 合同金额（万元） column
])
def test_money(value, factor, expected):
    assert cells.parse_money(value, None, factor) == expected


@pytest.mark.parametrize("vocab_column, value, expected", [
    (("services", "domain"), "养老", "养老服务"),  # synonyms of the contract
    (("services", "domain"), "救助", "社会救助"),
    (("services", "domain"), "儿童", "儿童关爱保护"),
    (("services", "domain"), "助残", "扶残助残"),
    (("staff", "certificate"), "中级", "社会工作师"),
])
def test_vocabulary_synonyms(vocab_column, value, expected):
    table, column = vocab_column
    assert cells.parser_for(schema.TABLE_BY_NAME[table].column(column))(value) == expected


# -- headers and sheet names -------------------------------------------------------------

@pytest.mark.parametrize("table, text, column, unit", [
    ("projects", "合同金额（元）", "budget", "元"),
    ("projects", "合同金额(万元)", "budget", "万元"),
    ("projects", "合同金额", "budget", None),
    ("services", " 服务\n日期 ", "date", None),  # stray spaces and a line break inside the cell
    ("services", "记录编号*", "code", None),
    ("services", "记录编码", "code", None),  # 编码 for 编号
    ("services", "是否已上传中国社会工作网", "uploaded", None),
    ("services", "参与人次（人次）", "attendance", "人次"),
    ("group_sessions", "签到人数/人", "attendance", "人"),
    ("charity_funds", "来源 / 合作慈善组织", "source", None),
    ("charity_funds", "合作慈善组织", "source", None),
    ("services", "序号", None, None),
])
def test_header_variants(table, text, column, unit):
    found, found_unit = headers.match_header(schema.TABLE_BY_NAME[table], text)
    assert (found.name if found else None, found_unit) == (column, unit)


def test_every_declared_header_is_recognised_and_unambiguous():
    for t in schema.TABLES:
        keys = [k for c in t.columns for k in headers.declared_keys(c)]
        assert len(keys) == len(set(keys)), t.name
        for c in t.columns:
            assert headers.match_header(t, c.header)[0] is c


@pytest.mark.parametrize("title, sheet", [
    ("服务记录", "服务记录"), ("服务记录台账", "服务记录"), ("2026年服务记录台账", "服务记录"),
    ("2026年扎赉诺尔街道社工站服务记录台账", "服务记录"), ("个案服务记录", "个案服务"), ("服务对象名册", "服务对象"),
    ("督导", "督导记录"), ("小组活动（2025）", "小组活动"), ("Sheet1", None),
])
def test_sheet_titles(title, sheet):
    found = headers.table_for_title(title)
    assert (found.sheet if found else None) == sheet


# -- whole workbooks -------------------------------------------------------------------

def read_services(tmp_path, sheet_rows, **kw):
    ledger = read_workbook(write_book(tmp_path / "book.xlsx", {"服务记录": sheet_rows}, **kw))
    return ledger, ledger.frames.get("services")


def test_title_rows_merged_title_blank_rows_and_total_row(tmp_path):
    sheet_rows = [["2025年甲街道社工站服务记录台账"], ["填报单位：甲街道社工站", None, None, "填报日期：2025年12月"],
                  ["序号", *header("services")],
                  [1, *rows("services")[1]], [None] * 12, [2, *rows("services")[2]], [None] * 12,
                  ["合计", None, None, None, None, None, None, 3], ["填表人：王芳", None, None, "审核人：李明"]]
    ledger, frame = read_services(tmp_path, sheet_rows, merges={"服务记录": ["A1:L1", "A2:C2"]})
    assert ledger.all_problems() == []
    assert frame["code"].tolist() == ["S001", "S002"]
    # header on row 3, so the records are rows 4 and 6; 合计 on row 8 and the footer on row 9 are skipped
    assert ledger.places["services"] == [("服务记录", 4), ("服务记录", 6)]
    assert "工作表「服务记录」第8行是合计行，已跳过" in ledger.notes
    assert any("第9行是表尾" in n for n in ledger.notes)
    assert "工作表「服务记录」中不属于台账的列已忽略：序号" in ledger.notes


def test_header_variants_and_full_width_values_in_a_workbook(tmp_path):
    head = ["记录编号*", "站点 编码", "服务\n日期", "领域", "服务类别", "服务对象编码", "参与人次（人次）", "地点",
            "内容摘要", "水印照片", "是否已上传中国社会工作网"]
    sheet_rows = [head, ["Ｓ００１", "　S1　", "２０２５年３月５日", "养老", "关爱帮扶", "B1，B2", "２", "社区", "探访",
                         "a.jpg b.jpg", "√"]]
    ledger, frame = read_services(tmp_path, sheet_rows)
    assert ledger.all_problems() == []
    row = frame.iloc[0]
    assert (row["code"], row["station_code"], row["date"], row["domain"], row["beneficiary_codes"], row["attendance"],
            row["photos"], row["uploaded"]) == ("S001", "S1", pd_ts("2025-03-05"), "养老服务", "B1、B2", 2,
                                                "a.jpg、b.jpg", True)


def pd_ts(text):
    import pandas as pd

    return pd.Timestamp(text)


def test_codes_typed_as_numbers_in_a_workbook(tmp_path):
    sheets = {"服务对象": [header("beneficiaries"), [7, "张三", None, None, 13812341234, None, 1, "困难老人", None,
                                                     "2025-01-01", None, None]]}
    ledger = read_workbook(write_book(tmp_path / "n.xlsx", sheets, formats={("服务对象", "A2"): "000"}))
    row = ledger.frames["beneficiaries"].iloc[0]
    # 7 shown through the "000" format is 007; the station code 1 had no such format and stays 1
    assert (row["code"], row["phone"], row["station_code"]) == ("007", "13812341234", "1")


def test_wps_merged_date_cells_spanning_rows_fill_each_row(tmp_path):
    records = [dict(BASE["services"][0]), dict(BASE["services"][1], date=None)]
    sheet_rows = rows("services", records)
    ledger, frame = read_services(tmp_path, sheet_rows, merges={"服务记录": ["C2:C3"]})
    assert ledger.all_problems() == []
    assert frame["date"].tolist() == [pd_ts("2025-03-05"), pd_ts("2025-03-05")]


def test_sheets_split_by_month_are_joined(tmp_path):
    sheets = {"1月服务记录": rows("services", BASE["services"][:1]), "2月服务记录": rows("services", BASE["services"][1:])}
    ledger = read_workbook(write_book(tmp_path / "m.xlsx", sheets))
    assert ledger.frames["services"]["code"].tolist() == ["S001", "S002"]
    assert ledger.places["services"] == [("1月服务记录", 2), ("2月服务记录", 2)]


def test_unnamed_sheet_is_recognised_by_its_headers(tmp_path):
    ledger = read_workbook(write_book(tmp_path / "s.xlsx", {"Sheet1": rows("services")}))
    assert ledger.frames["services"]["code"].tolist() == ["S001", "S002"]
    assert "工作表「Sheet1」按表头识别为「服务记录」" in ledger.notes


def test_identical_repeated_rows_count_once(tmp_path):
    sheet_rows = rows("services") + [rows("services")[1]]
    ledger, frame = read_services(tmp_path, sheet_rows)
    assert ledger.all_problems() == [] and frame["code"].tolist() == ["S001", "S002"]
    assert "工作表「服务记录」第4行与「服务记录」第2行完全相同，只计一次" in ledger.notes


def test_unknown_sheets_are_noted_and_ignored(tmp_path):
    ledger = read_workbook(write_book(tmp_path / "u.xlsx", {"工作量统计": [["月份", "次数"], ["1月", 3]],
                                                             **base_sheets()}))
    assert any(n.startswith("工作表「工作量统计」不是台账中的工作表") for n in ledger.notes)
    assert ledger.tables == list(BASE)


@pytest.mark.parametrize("text, factor", [("合同金额(元)", 1), ("合同金额（万元）", 10000), ("合同金额", 1),
                                          ("合同金额(美元)", None), ("合同金额（含税，按合同约定）", 1)])
def test_units_convert_or_are_refused(text, factor):
    t = schema.TABLE_BY_NAME["projects"]
    column, unit = headers.match_header(t, text)
    assert headers.unit_factor(column, unit) == factor


def test_hours_become_minutes_and_an_unknown_unit_is_refused(tmp_path):
    head = [*header("case_sessions")[:4], "时长（小时）"]
    ledger = read_workbook(write_book(tmp_path / "h.xlsx", {"个案服务": [head, ["C1", 1, "2025-02-10", "入户", 1.5]]}))
    assert ledger.frames["case_sessions"].loc[0, "minutes"] == 90  # 1.5 hours × 60
    head = [*header("projects")[:5], "合同金额(美元)"]
    ledger = read_workbook(write_book(tmp_path / "u.xlsx", {"项目": [head]}))
    assert [(p.code, p.row, p.column) for p in ledger.all_problems()] == [
        ("unit_mismatch", 1, "合同金额(元)"), ("missing_column", 1, "合同金额(元)"), ("missing_column", 1, "指标清单")]
