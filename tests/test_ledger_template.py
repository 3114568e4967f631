"""The blank template: every sheet and header of the contract, frozen headers, drop-downs, formats, 说明."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sgzlib import cli
from sgzlib.domain import schema
from sgzlib.domain.vocab import VOCABS
from sgzlib.ledger import import_workbook, layout, read_workbook, write_template
from sgzlib.store import storage


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("tpl") / "模板.xlsx")


def test_sheets_and_headers_come_from_the_schema(template):
    wb = load_workbook(template)
    assert wb.sheetnames == ["说明"] + [t.sheet for t in schema.TABLES]
    for t in schema.TABLES:
        ws = wb[t.sheet]
        assert [c.value for c in ws[1]] == [c.header for c in t.columns]
        assert ws.freeze_panes == "A2"
        assert ws.max_row == 1  # no rows but the header


def test_required_headers_are_red_and_explained(template):
    ws = load_workbook(template)["服务记录"]
    colours = {c.value: c.font.color.rgb[-6:] if c.font.color else None for c in ws[1]}
    assert colours["记录编号"] == "C00000" and colours["地点"] is None
    assert ws["A1"].comment.text.startswith("必填。编码")


def drop_downs(ws) -> dict[str, str]:
    """Column letter → the list formula of its data validation."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2
            out[get_column_letter(rng.min_col)] = dv.formula1
    return out


def test_enumerated_and_yes_no_columns_have_drop_downs(template):
    wb = load_workbook(template)
    for t in schema.TABLES:
        expected = {}
        for i, c in enumerate(t.columns, 1):
            if c.kind == "enum":
                expected[get_column_letter(i)] = '"' + ",".join(VOCABS[c.vocab].values) + '"'
            elif c.kind == "bool":
                expected[get_column_letter(i)] = '"是,否"'
        assert drop_downs(wb[t.sheet]) == expected, t.sheet
    # spot check against the contract: 层级 of 社工站 is column C
    assert drop_downs(wb["社工站"])["C"] == '"县区总站,乡镇街道站,村社区室"'


def test_date_code_columns_formatted_and_widths_fit_headers(template):
    wb = load_workbook(template)
    for t in schema.TABLES:
        ws = wb[t.sheet]
        for i, c in enumerate(t.columns, 1):
            dim = ws.column_dimensions[get_column_letter(i)]
            assert dim.width >= layout.display_width(c.header), (t.sheet, c.header)
            if c.kind == "date":
                assert dim.number_format == "yyyy-mm-dd"
            if c.kind == "code":
                assert dim.number_format == "@"
    # 已上传中国社会工作网: 10 CJK characters are 20 columns wide, plus a margin of 2
    assert wb["服务记录"].column_dimensions["K"].width == 22


def test_guide_sheet_explains_every_sheet_and_column(template):
    ws = load_workbook(template)["说明"]
    text = [[c.value for c in row] for row in ws.iter_rows()]
    sheet_rows = {r[0]: r for r in text if r[0] in schema.TABLE_BY_SHEET and r[3] == layout.SHEET_HELP.get(
        schema.TABLE_BY_SHEET[r[0]].name, "") + (schema.TABLE_BY_SHEET[r[0]].note and " " + schema.TABLE_BY_SHEET[
            r[0]].note)}
    assert list(sheet_rows) == [t.sheet for t in schema.TABLES]
    assert sheet_rows["小组活动"][1] == "小组编号 + 节次"
    column_rows = {(r[0], r[1]): r for r in text if r[0] in schema.TABLE_BY_SHEET and r[1] and r[2] in ("必填", "", None)
                   and (r[0], r[1]) in {(t.sheet, c.header) for t in schema.TABLES for c in t.columns}}
    assert len(column_rows) == sum(len(t.columns) for t in schema.TABLES)
    assert column_rows[("服务记录", "服务对象编码")][3] == "可填多个，用「、」分隔；须是「服务对象」表中已有的对象编码"


def test_blank_template_reads_clean_and_imports_nothing(template, tmp_path):
    ledger = read_workbook(template)
    assert ledger.all_problems() == [] and ledger.tables == [t.name for t in schema.TABLES]
    engine = storage.connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = import_workbook(engine, template)
    assert not result.changed_anything and all(s.read == 0 for s in result.sheets)


def test_cli_writes_the_template(tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert cli.main(["template", str(out)]) == 0
    assert load_workbook(out).sheetnames[0] == "说明"
    assert "空白台账模板已写入" in capsys.readouterr().out


@pytest.mark.slow
def test_opens_in_libreoffice_and_survives_a_resave(template, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    assert office, "LibreOffice (libreoffice-calc) must be installed"
    profile = tmp_path / "profile"
    subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path / "lo"), str(template)], check=True, capture_output=True, timeout=300)
    saved = tmp_path / "lo" / template.name
    wb = load_workbook(saved)
    assert wb.sheetnames == ["说明"] + [t.sheet for t in schema.TABLES]
    assert [c.value for c in wb["服务记录"][1]] == [c.header for c in schema.TABLE_BY_NAME["services"].columns]
    assert drop_downs(wb["社工站"])["C"] == '"县区总站,乡镇街道站,村社区室"'
    # (headless LibreOffice drops every sheet's view settings, frozen panes included, on any re-save)
    ledger = read_workbook(saved)
    assert ledger.all_problems() == [] and ledger.tables == [t.name for t in schema.TABLES]
