"""Codes as Excel writes them: 001 typed as 1, ００１, 1.0 or "001.0" is the same code in every sheet and in the database.

``TEXT`` is one station ledger whose every code is made of digits with leading zeros, written as text
(as the template asks). Its twins write some columns the way Excel leaves them: as numbers, without the
zeros. They must import to the same rows, evaluate the same, and export back with the zeros.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from ledger_books import D, digest, header, write_book
from openpyxl import load_workbook

from sgzlib import cli
from sgzlib.domain import schema
from sgzlib.errors import DataError
from sgzlib.indicators import evaluate
from sgzlib.ledger import export_workbook, import_workbook, read_workbook, write_template
from sgzlib.store import storage

AS_OF = "2025-12-31"
TEXT: dict[str, list[dict]] = {
    "stations": [
        {"code": "001", "name": "甲街道社会工作服务站", "level": "乡镇街道站", "district": "测试区"},
        {"code": "002", "name": "乙镇社会工作服务站", "level": "乡镇街道站", "district": "测试区"},
        {"code": "003", "name": "甲街道幸福社区社会工作服务室", "level": "村社区室", "parent_code": "001",
         "district": "测试区"}],
    "projects": [{"code": "001", "station_code": "001", "year": 2025, "start": D("2025-01-01"),
                  "end": D("2025-12-31"), "budget": 100000.0, "catalogue": "zhalainuoer-2026"}],
    "staff": [{"code": "01", "name": "王芳", "station_code": "001", "certificate": "社会工作师",
               "joined": D("2024-01-01")}],
    "beneficiaries": [
        {"code": "001", "name": "张三", "station_code": "001", "category": "社会救助", "joined": D("2025-01-01"),
         "follow_up": True},
        {"code": "002", "name": "李四", "station_code": "001", "category": "社会救助", "joined": D("2025-01-01")},
        {"code": "009", "name": "赵九", "station_code": "002", "category": "残疾人", "joined": D("2025-01-01")}],
    "assessments": [{"beneficiary_code": "001", "date": D("2025-01-05"), "method": "入户"},
                    {"beneficiary_code": "009", "date": D("2025-01-06"), "method": "电话"}],
    "services": [
        {"code": "0001", "station_code": "001", "date": D("2025-03-05"), "domain": "社会救助", "category": "关爱帮扶",
         "beneficiary_codes": "001、002", "attendance": 2, "photos": "s1.jpg"},
        {"code": "0002", "station_code": "001", "date": D("2025-04-01"), "domain": "社会救助", "category": "资源链接",
         "beneficiary_codes": "002", "attendance": 1, "photos": "s2.jpg"}],
    "cases": [{"code": "001", "station_code": "001", "beneficiary_code": "001", "domain": "社会救助",
               "worker_code": "01", "opened": D("2025-02-01")}],
    "case_records": [{"case_code": "001", "kind": "接案记录表", "date": D("2025-02-01")}],
    "case_sessions": [{"case_code": "001", "seq": i, "date": D(f"2025-0{i + 1}-10"), "mode": "入户", "minutes": 60,
                       "process_record": True, "photos": f"c{i}.jpg"} for i in range(1, 6)],
    "groups": [{"code": "001", "station_code": "001", "domain": "社会救助", "name": "互助小组", "leader_code": "01"}],
    "group_sessions": [{"group_code": "001", "seq": i, "date": D(f"2025-0{i + 2}-01"), "attendance": 8,
                        "sign_in": True, "photos": f"g{i}.jpg"} for i in range(1, 6)],
    "community_orgs": [{"code": "001", "station_code": "001", "name": "幸福互助会", "started": D("2025-02-01")}],
    "volunteers": [{"code": "001", "station_code": "001", "name": "钱七", "registered_on": D("2025-02-01")}],
    "checklist": [{"station_code": "001", "item": "人员管理制度", "done": True},
                  {"station_code": "003", "item": "办公场所", "done": True}],
    "charity_funds": [{"code": "001", "station_code": "001", "date": D("2025-05-01"), "amount": 5000.0,
                       "use": "共募资金"}],
    "charity_aid": [{"code": "001", "station_code": "001", "date": D("2025-05-02"), "beneficiary_code": "002",
                     "amount": 1000.0}],
    "measurements": [
        {"beneficiary_code": "001", "scale": "SSRS", "phase": "前测", "date": D("2025-02-01"), "score": 30.0,
         "case_code": "001"},
        {"beneficiary_code": "001", "scale": "SSRS", "phase": "后测", "date": D("2025-06-30"), "score": 41.0,
         "case_code": "001"},
        {"beneficiary_code": "002", "scale": "SSRS", "phase": "前测", "date": D("2025-03-01"), "score": 28.0,
         "group_code": "001"}],
    "supervisions": [{"code": "001", "station_code": "001", "date": D("2025-06-01"), "supervisor": "陈督导",
                      "case_codes": "001"}],
    "expenses": [{"code": "001", "station_code": "001", "date": D("2025-05-03"), "amount": 800.0,
                  "category": "活动物资", "item": "小组活动材料", "receipt": True}],
    # a recorded session (the supervision cycle): its action item's status is also its first history row
    "supervision_items": [{"session_code": "001-S20250701", "item_no": 1, "station_code": "001",
                           "date": D("2025-07-01"), "supervisor": "陈督导", "item": "个案文书", "action": "补齐文书",
                           "action_code": "001-S20250701-01", "owner_code": "01", "due": D("2025-07-31"),
                           "status": "未开始"}],
    "action_history": [{"action_code": "001-S20250701-01", "session_code": "001-S20250701", "station_code": "001",
                        "date": D("2025-07-01"), "item_no": 1, "status": "未开始"}],
}
KEYED = [t.name for t in schema.TABLES if len(t.key) == 1 and t.column(t.key[0]).kind == "code"]
# Every column that refers to a code, straight from the schema (code columns and lists of codes).
REFS = [(t.name, c.name) for t in schema.TABLES for c in t.columns if c.ref]
REFERENCED = sorted({c.ref.split(".")[0] for t in schema.TABLES for c in t.columns if c.ref})


def as_number(value):
    """What Excel keeps of a code typed into a General cell: ``001`` → 1; a list ``001、002`` → ``1、2``."""
    if value is None:
        return None
    if "、" in value:
        return "、".join(str(int(v)) for v in value.split("、"))
    return int(value)


def book(tmp_path, name: str, columns=(), tables=None, how=as_number, records=None):
    """``TEXT`` (or ``records``) as a workbook, with ``how`` applied to the given (table, column)s."""
    records = TEXT if records is None else records
    sheets = {}
    for table in tables or records:
        names = schema.TABLE_BY_NAME[table].names
        body = []
        for r in records[table]:
            body.append([how(r.get(n)) if (table, n) in columns else r.get(n) for n in names])
        sheets[schema.TABLE_BY_NAME[table].sheet] = [header(table)] + body
    return write_book(tmp_path / f"{name}.xlsx", sheets)


def columns_of(tables, refs=True, keys=True):
    """(table, column) of the keys of ``tables`` and of every reference to them."""
    out = [(t, schema.TABLE_BY_NAME[t].key[0]) for t in tables] if keys else []
    if refs:
        out += [(t, c) for t, c in REFS if schema.TABLE_BY_NAME[t].column(c).ref.split(".")[0] in tables]
    return out


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory):
    """A migrated, empty SQLite database (tests work on copies)."""
    path = tmp_path_factory.mktemp("empty") / "sgz.db"
    storage.connect(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="module")
def text_db(tmp_path_factory, empty_db):
    """The database after importing the all-text ledger, and what it holds."""
    folder = tmp_path_factory.mktemp("text")
    path = folder / "sgz.db"
    shutil.copyfile(empty_db, path)
    engine = storage.connect(f"sqlite:///{path}")
    import_workbook(engine, book(folder, "text"))
    ds = storage.load_dataset(engine)
    engine.dispose()
    return path, ds


@pytest.fixture
def engine(empty_db, tmp_path):
    path = tmp_path / "sgz.db"
    shutil.copyfile(empty_db, path)
    e = storage.connect(f"sqlite:///{path}")
    yield e
    e.dispose()


@pytest.fixture
def loaded(text_db, tmp_path):
    """A private copy of the database holding the all-text ledger."""
    path = tmp_path / "sgz.db"
    shutil.copyfile(text_db[0], path)
    e = storage.connect(f"sqlite:///{path}")
    yield e
    e.dispose()


def same_rows(a, b) -> None:
    for t in schema.TABLES:
        left = a[t.name].sort_values(list(t.key)).reset_index(drop=True)
        right = b[t.name].sort_values(list(t.key)).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, obj=t.name)


def test_the_all_text_ledger_keeps_its_zeros(text_db):
    _, ds = text_db
    assert ds.cases.loc[0, ["code", "beneficiary_code", "worker_code", "station_code"]].tolist() == [
        "001", "001", "01", "001"]
    assert sorted(ds.services["beneficiary_codes"]) == ["001、002", "002"]
    assert ds.stations.set_index("code").loc["003", "parent_code"] == "001"


TWINS = {
    # defining sheets as text with zeros, every reference to a case, group, beneficiary (and station, worker)
    # typed as a number
    "references-as-numbers": columns_of(REFERENCED, keys=False),
    # the other way round: 个案, 小组, 服务对象, 社工站, 驻站人员 typed as numbers, the references as text with zeros
    "definitions-as-numbers": columns_of(REFERENCED, refs=False),
}


@pytest.fixture(scope="module")
def twins(tmp_path_factory, empty_db, text_db):
    """Each twin imported into its own database: (result, dataset, database path)."""
    out = {}
    for name, cols in TWINS.items():
        folder = tmp_path_factory.mktemp(name)
        path = folder / "sgz.db"
        shutil.copyfile(empty_db, path)
        engine = storage.connect(f"sqlite:///{path}")
        result = import_workbook(engine, book(folder, name, cols))
        out[name] = (result, storage.load_dataset(engine), path)
        engine.dispose()
    return out


@pytest.mark.parametrize("twin", TWINS)
def test_twin_imports_to_the_same_rows(twins, text_db, twin):
    _, ds, _ = twins[twin]
    same_rows(ds, text_db[1])


@pytest.mark.parametrize("twin", TWINS)
def test_twin_evaluates_exactly_like_the_all_text_ledger(twins, text_db, twin):
    _, ds, _ = twins[twin]
    mixed, text = evaluate(ds, AS_OF), evaluate(text_db[1], AS_OF)
    pd.testing.assert_frame_equal(mixed.results, text.results)
    pd.testing.assert_frame_equal(mixed.explanations, text.explanations)
    whole = mixed.results[mixed.results["period"] == "全期"].set_index("indicator_id")
    # ZL-SA-01: 社会救助 roster 001 and 002; only 001 has a needs assessment → 1 of 2 = 50%
    assert whole.loc["ZL-SA-01", "actual"] == 50.0
    # ZL-SA-06: case 001 (社会救助) has 5 sessions with photos, ≥5 asked → 1 qualified case
    assert whole.loc["ZL-SA-06", "actual"] == 1
    # ZL-SA-07: group 001 has 5 sessions of 8 signed-in people (≥5 sessions × ≥6 people) → 1 qualified group
    assert whole.loc["ZL-SA-07", "actual"] == 1


@pytest.mark.parametrize("twin", TWINS)
def test_twin_exports_back_with_the_zeros_as_text_cells(twins, twin, tmp_path):
    _, ds, db = twins[twin]
    out = export_workbook(ds, tmp_path / "out.xlsx")
    wb = load_workbook(out)
    sessions = wb["个案服务"]
    assert [c.value for c in sessions["A"][1:]] == ["001"] * 5
    assert {(c.data_type, c.number_format) for c in sessions["A"][1:]} == {("s", "@")}
    services = wb["服务记录"]
    col = header("services").index("服务对象编码")
    cells = [row[col] for row in services.iter_rows(min_row=2)]
    assert [(c.value, c.number_format) for c in cells] == [("001、002", "@"), ("002", "@")]
    assert wb["社工站"]["A4"].value == "003" and wb["社工站"]["D4"].value == "001"  # 003's 上级站点编码
    # and the export imports back into the twin's database changing nothing
    copy = tmp_path / "again.db"
    shutil.copyfile(db, copy)
    engine = storage.connect(f"sqlite:///{copy}")
    assert not import_workbook(engine, out).changed_anything
    engine.dispose()


def test_twin_summary_says_once_per_sheet_and_column(twins):
    result, _, _ = twins["references-as-numbers"]
    notes = [n for n in result.notes if "匹配" in n]
    # 个案服务 has 5 sessions of case 1; 小组活动 5 sessions of group 1
    assert "个案服务「个案编号」：5 行写成数字，已按「个案」表中的编码（如 001）匹配" in notes
    assert "小组活动「小组编号」：5 行写成数字，已按「小组」表中的编码（如 001）匹配" in notes
    # 服务记录 rows: "1、2" and 2 → both rows rewritten; the example is the first code rewritten
    assert "服务记录「服务对象编码」：2 行写成数字，已按「服务对象」表中的编码（如 001）匹配" in notes
    assert "社工站「上级站点编码」：1 行写成数字，已按「社工站」表中的编码（如 001）匹配" in notes
    # one line per (sheet, column)
    places = [n.split("：")[0] for n in notes]
    assert len(places) == len(set(places))
    assert "前后测「小组编号」" in places and "前后测「个案编号」" in places


def test_numbers_matched_to_zero_padded_codes_in_the_reverse_direction_get_the_zeros(twins):
    result, ds, _ = twins["definitions-as-numbers"]
    assert "个案「个案编号」：1 行写成数字，已按「个案文书」表中的编码（如 001）匹配" in result.notes
    assert sorted(ds.beneficiaries["code"]) == ["001", "002", "009"]


@pytest.mark.parametrize("table, column", REFS, ids=[f"{t}.{c}" for t, c in REFS])
def test_each_reference_column_typed_as_numbers_matches(engine, text_db, table, column, tmp_path):
    filled = [r for r in TEXT[table] if r.get(column) is not None]
    assert filled, f"TEXT must fill {table}.{column}"
    result = import_workbook(engine, book(tmp_path, "one", [(table, column)]))
    same_rows(storage.load_dataset(engine), text_db[1])
    t = schema.TABLE_BY_NAME[table]
    header_text = t.column(column).header
    target = schema.TABLE_BY_NAME[t.column(column).ref.split(".")[0]].sheet
    notes = [n for n in result.notes if n.startswith(f"{t.sheet}「{header_text}」：")]
    assert len(notes) == 1, result.notes
    assert notes[0].startswith(f"{t.sheet}「{header_text}」：{len(filled)} 行写成数字，已按「{target}」表中的编码")


@pytest.mark.parametrize("table", KEYED)
def test_a_sheet_typed_as_numbers_matches_the_codes_in_the_database(loaded, text_db, table, tmp_path):
    """Re-importing one sheet whose every code lost its zeros updates nothing and adds nothing."""
    t = schema.TABLE_BY_NAME[table]
    cols = [(table, c.name) for c in t.columns if c.kind == "code" and (c.name in t.key or c.ref)]
    cols += [(table, c.name) for c in t.columns if c.kind == "list" and c.ref]
    result = import_workbook(loaded, book(tmp_path, "again", cols, tables=[table]))
    assert not result.changed_anything
    assert [(s.table, s.read, s.unchanged) for s in result.sheets] == [(table, len(TEXT[table]), len(TEXT[table]))]
    key_header = t.column(t.key[0]).header
    assert f"{t.sheet}「{key_header}」：{len(TEXT[table])} 行写成数字，已按数据库中的编码" in "\n".join(result.notes)
    same_rows(storage.load_dataset(loaded), text_db[1])


def test_a_code_the_database_holds_without_zeros_keeps_its_spelling(engine, tmp_path):
    numbers = book(tmp_path, "numbers", columns_of(REFERENCED, refs=True))
    import_workbook(engine, numbers)
    assert storage.load_dataset(engine).cases["code"].tolist() == ["1"]
    # the same cases sheet, now written as text with zeros: the database's spelling 1 stays, no second case
    result = import_workbook(engine, book(tmp_path, "cases", tables=["cases", "case_sessions"]))
    assert not result.changed_anything
    assert "个案「个案编号」：1 行写有前导零，已按数据库中的编码（如 1）匹配" in result.notes
    assert storage.load_dataset(engine).cases["code"].tolist() == ["1"]


def refused(engine, path) -> list:
    before = storage.load_dataset(engine)
    with pytest.raises(DataError) as info:
        import_workbook(engine, path)
    same_rows(storage.load_dataset(engine), before)
    return info.value.problems


def test_a_number_that_could_be_two_codes_is_an_error_naming_both(engine, tmp_path):
    records = dict(TEXT)
    records["cases"] = TEXT["cases"] + [dict(TEXT["cases"][0], code="01")]
    records["case_sessions"] = [dict(s, case_code=1) if s["seq"] == 3 else s for s in TEXT["case_sessions"]]
    problems = refused(engine, book(tmp_path, "two", records=records))
    ambiguous = [p for p in problems if p.code == "ambiguous_code"]
    assert [(p.where, p.row, p.column, p.value) for p in ambiguous] == [("个案服务", 4, "个案编号", "1")]
    assert "「001」、「01」" in ambiguous[0].message and "前导零" in ambiguous[0].message
    # the session is left out like an unreadable row; nothing else is reported
    assert problems == ambiguous


def test_a_number_that_could_be_a_database_code_or_the_workbook_code_is_an_error(loaded, tmp_path):
    # the database has case 001; this workbook adds case 01 to the 个案 sheet and a measurement of case 1
    records = {"cases": [dict(TEXT["cases"][0], code="01")],
               "measurements": [dict(TEXT["measurements"][0], case_code=1, date=D("2025-02-02"))]}
    problems = refused(loaded, book(tmp_path, "db", records=records))
    assert [(p.code, p.where, p.row, p.column, p.value) for p in problems] == [
        ("ambiguous_code", "前后测", 2, "个案编号", "1")]
    assert "「001」、「01」" in problems[0].message


def test_one_and_one_with_zeros_both_in_the_defining_sheet_is_an_error(engine, tmp_path):
    records = dict(TEXT)
    records["groups"] = TEXT["groups"] + [dict(TEXT["groups"][0], code=1, name="另一个小组")]
    problems = refused(engine, book(tmp_path, "g", records=records))
    assert [(p.code, p.where, p.row, p.column, p.value) for p in problems] == [
        ("ambiguous_code", "小组", 3, "小组编号", "1")]
    assert "「001」、「1」" in problems[0].message


def full_width(value):
    return None if value is None else value.translate(str.maketrans("0123456789、", "０１２３４５６７８９、"))


def test_full_width_digits(engine, text_db, tmp_path):
    cols = columns_of(REFERENCED)  # every key and reference of a case, group, person, station, worker
    import_workbook(engine, book(tmp_path, "fw", cols, how=full_width))
    same_rows(storage.load_dataset(engine), text_db[1])


def full_width_number(value):
    """１ (what an input method in full-width mode types for 1)."""
    return None if value is None else full_width(str(as_number(value)))


def test_full_width_numbers_match_the_zero_padded_codes(engine, text_db, tmp_path):
    result = import_workbook(engine, book(tmp_path, "fwn", columns_of(REFERENCED, keys=False), how=full_width_number))
    same_rows(storage.load_dataset(engine), text_db[1])
    assert "个案服务「个案编号」：5 行写成数字，已按「个案」表中的编码（如 001）匹配" in result.notes


def point_zero_text(value):
    """``1.0`` typed as text (what a CSV or WPS conversion leaves of the number 1)."""
    return None if value is None else "、".join(f"{int(v)}.0" for v in value.split("、"))


def padded_point_zero_text(value):
    return None if value is None else "、".join(f"{v}.0" for v in value.split("、"))


def point_zero_number(value):
    """The number 1.0 in a number cell (lists of codes are text and stay so)."""
    return None if value is None else float(int(value))


SINGLE = [c for c in columns_of(REFERENCED, keys=False) if schema.TABLE_BY_NAME[c[0]].column(c[1]).kind == "code"]


@pytest.mark.parametrize("how, cols", [
    pytest.param(point_zero_text, columns_of(REFERENCED, keys=False), id="text-1.0"),
    pytest.param(padded_point_zero_text, columns_of(REFERENCED), id="text-001.0"),
    pytest.param(point_zero_number, SINGLE, id="number-1.0"),
])
def test_trailing_point_zero(engine, text_db, tmp_path, how, cols):
    import_workbook(engine, book(tmp_path, "pz", cols, how=how))
    same_rows(storage.load_dataset(engine), text_db[1])


def test_a_number_with_no_zero_padded_spelling_anywhere_stays_as_it_is(engine, tmp_path):
    # station 3 typed as a number in 社工站 only, and nothing refers to it: its zeros cannot be known
    records = dict(TEXT, stations=TEXT["stations"] + [dict(TEXT["stations"][1], code="004", name="丙镇社会工作服务站")])
    result = import_workbook(engine, book(tmp_path, "alone", [("stations", "code")], records=records))
    codes = storage.load_dataset(engine).stations["code"]
    # 001, 002, 003 are referenced with their zeros; 4 is not
    assert sorted(codes) == ["001", "002", "003", "4"]
    # the zeros of 001 come from 003's 上级站点编码, of 002 from 服务对象, of 003 from 站点建设
    assert "社工站「站点编码」：3 行写成数字，已按「社工站」、「服务对象」、「站点建设」表中的编码（如 001）匹配" in result.notes


def test_letters_and_zeros_are_never_guessed(engine, tmp_path):
    """Only codes of digits lose zeros in Excel: C001 and C1, or 01 and 001, are different codes."""
    records = dict(TEXT)
    records["case_sessions"] = [dict(s, case_code="01") if s["seq"] == 2 else s for s in TEXT["case_sessions"]]
    problems = refused(engine, book(tmp_path, "exact", records=records))
    assert [(p.code, p.where, p.row, p.column, p.value) for p in problems] == [
        ("unknown_reference", "个案服务", 3, "个案编号", "01")]


def test_the_reader_folds_full_width_and_point_zero(tmp_path):
    rows = [header("case_sessions"), ["００１", 1, "2025-02-10"], ["1.0", 2, "2025-03-10"], [" 001.0 ", 3, "2025-04-10"]]
    ledger = read_workbook(write_book(tmp_path / "r.xlsx", {"个案服务": rows}))
    # the reader spells them; matching 1 to 001 is the importer's (it needs the other sheets and the database)
    assert ledger.frames["case_sessions"]["case_code"].tolist() == ["001", "1", "001"]


def test_cli_prints_the_summary_line(engine, tmp_path, capsys):
    db = engine.url.render_as_string(hide_password=False)
    path = book(tmp_path, "cli", [("case_sessions", "case_code")])
    assert cli.main(["import", str(path), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "提示：个案服务「个案编号」：5 行写成数字，已按「个案」表中的编码（如 001）匹配" in out


def test_template_code_columns_are_text(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    for t in schema.TABLES:
        ws = wb[t.sheet]
        for i, c in enumerate(t.columns, 1):
            fmt = ws.column_dimensions[ws.cell(1, i).column_letter].number_format
            if c.kind == "code" or (c.kind == "list" and c.ref):
                assert fmt == "@", (t.sheet, c.header)
            else:
                assert fmt != "@", (t.sheet, c.header)


def test_export_of_the_all_text_ledger_reads_back_with_its_zeros(text_db, tmp_path):
    path, ds = text_db
    before = digest(path)
    out = export_workbook(ds, tmp_path / "e.xlsx")
    assert digest(path) == before
    again = read_workbook(out)
    assert again.frames["cases"]["code"].tolist() == ["001"]
    assert again.frames["staff"]["code"].tolist() == ["01"]
