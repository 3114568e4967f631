"""Import: bad input refused whole with sheet/row/column, idempotence, updates, removed rows and prune."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
from ledger_books import BASE, D, base_sheets, digest, rows, set_cell, write_book
from openpyxl import load_workbook

from sgzlib import cli
from sgzlib.errors import DataError
from sgzlib.ledger import import_workbook
from sgzlib.ledger.ledger import DB_PREFIX
from sgzlib.store import audit, storage


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """A SQLite database holding the base ledger (built once; tests work on copies)."""
    folder = tmp_path_factory.mktemp("base")
    path = folder / "sgz.db"
    engine = storage.connect(f"sqlite:///{path}")
    import_workbook(engine, write_book(folder / "base.xlsx", base_sheets()))
    engine.dispose()
    return path


@pytest.fixture
def db(base_db, tmp_path):
    """A private copy of the base database: its file path."""
    path = tmp_path / "sgz.db"
    shutil.copyfile(base_db, path)
    return path


def engine_of(path):
    return storage.connect(f"sqlite:///{path}")


def refused(db_path, book) -> list:
    """Import ``book``; it must be refused and the database file must be byte for byte unchanged."""
    before = digest(db_path)
    engine = engine_of(db_path)
    with pytest.raises(DataError) as info:
        import_workbook(engine, book)
    engine.dispose()
    assert digest(db_path) == before
    return info.value.problems


# Each case: (sheet, Excel row, header, new value) edits of the base workbook, and the problems expected:
# (sheet, row, column, reason code). Rows: header is row 1, so BASE's n-th record is row n + 1.
BAD = [
    pytest.param([("服务记录", 3, "站点编码", "S7")], [("服务记录", 3, "站点编码", "unknown_reference")],
                 id="unknown-station"),
    pytest.param([("服务记录", 2, "服务对象编码", "B1、B5")], [("服务记录", 2, "服务对象编码", "unknown_reference")],
                 id="unknown-beneficiary-in-list"),
    pytest.param([("个案服务", 3, "个案编号", "C9")], [("个案服务", 3, "个案编号", "unknown_reference")],
                 id="unknown-case"),
    pytest.param([("小组活动", 2, "小组编号", "G9")], [("小组活动", 2, "小组编号", "unknown_reference")],
                 id="unknown-group"),
    # the project runs 2025-01-01..2025-12-31
    pytest.param([("服务记录", 3, "服务日期", "2026-02-01")], [("服务记录", 3, "服务日期", "outside_project_period")],
                 id="outside-project-period"),
    # B2 joined 2025-03-01; S001 serves B1 and B2
    pytest.param([("服务记录", 2, "服务日期", "2025-02-20")], [("服务记录", 2, "服务日期", "before_joined")],
                 id="before-joined"),
    pytest.param([("小组活动", 3, "节次", 1)], [("小组活动", 3, "节次", "duplicate_key")], id="session-numbered-twice"),
    pytest.param([("小组活动", 3, "签到人数", -3)], [("小组活动", 3, "签到人数", "negative_attendance")],
                 id="negative-attendance"),
    pytest.param([("小组活动", 2, "签到人数", "八人")], [("小组活动", 2, "签到人数", "bad_int")],
                 id="attendance-not-a-number"),
    # C1 opened 2025-02-01
    # ... and both sessions (2025-02-10, 2025-03-10) now come after the closure
    pytest.param([("个案", 2, "结案日期", "2025-01-15")], [("个案", 2, "结案日期", "closed_before_opened"),
                                                         ("个案服务", 2, "服务日期", "session_after_closed"),
                                                         ("个案服务", 3, "服务日期", "session_after_closed")],
                 id="closed-before-opened"),
    pytest.param([("服务对象", 3, "对象编码", "B1")], [("服务对象", 3, "对象编码", "duplicate_key")],
                 id="code-repeated-with-other-contents"),
    pytest.param([("服务记录", 2, "服务日期", "2025-13-01")], [("服务记录", 2, "服务日期", "bad_date")], id="bad-date"),
    pytest.param([("服务记录", 3, "领域", "体育")], [("服务记录", 3, "领域", "bad_enum")], id="not-in-vocabulary"),
    pytest.param([("服务记录", 3, "服务日期", None)], [("服务记录", 3, "服务日期", "required")], id="required-blank"),
    pytest.param([("服务对象", 2, "跟踪回访", "也许")], [("服务对象", 2, "跟踪回访", "bad_bool")], id="bad-yes-no"),
    # SSRS scores run 12..66 (sgzlib/scales)
    pytest.param([("前后测", 3, "得分", 80)], [("前后测", 3, "得分", "score_out_of_range")], id="score-outside-scale"),
]


@pytest.mark.parametrize("edits, expected", BAD)
def test_bad_input_is_refused_with_its_place(db, tmp_path, edits, expected):
    sheets = base_sheets()
    for title, row, column, value in edits:
        sheets = set_cell(sheets, title, row, column, value)
    problems = refused(db, write_book(tmp_path / "bad.xlsx", sheets))
    assert [(p.where, p.row, p.column, p.code) for p in problems] == expected


def test_vocabulary_error_lists_the_allowed_values(db, tmp_path):
    sheets = set_cell(base_sheets(), "服务记录", 3, "领域", "体育")
    (problem,) = refused(db, write_book(tmp_path / "bad.xlsx", sheets))
    assert problem.value == "体育"
    assert "可选：社会救助、养老服务、儿童关爱保护" in problem.message


def test_every_error_is_reported_at_once(db, tmp_path):
    sheets = base_sheets()
    for title, row, column, value in [("服务记录", 2, "服务日期", "2025-13-01"), ("服务记录", 3, "站点编码", "S7"),
                                      ("小组活动", 2, "签到人数", "八人"), ("个案", 2, "结案日期", "2025-01-15"),
                                      ("驻站人员", 2, "持证等级", "博士")]:
        sheets = set_cell(sheets, title, row, column, value)
    problems = refused(db, write_book(tmp_path / "bad.xlsx", sheets))
    # in workbook order: sheet by sheet, row by row
    # the case closed before it opened also puts both its sessions after the closure
    assert [(p.where, p.row, p.column) for p in problems] == [
        ("驻站人员", 2, "持证等级"), ("服务记录", 2, "服务日期"), ("服务记录", 3, "站点编码"), ("个案", 2, "结案日期"),
        ("个案服务", 2, "服务日期"), ("个案服务", 3, "服务日期"), ("小组活动", 2, "签到人数")]


def test_missing_required_column_is_named_at_the_header_row(db, tmp_path):
    service_rows = [r[:2] + r[3:] for r in rows("services")]  # 服务日期 (third column) left out
    problems = refused(db, write_book(tmp_path / "bad.xlsx", base_sheets(services=service_rows)))
    assert [(p.where, p.row, p.column, p.code) for p in problems] == [("服务记录", 1, "服务日期", "missing_column")]


def test_empty_database_refuses_unknown_references_to_absent_sheets(tmp_path):
    """Only a 服务记录 sheet, into an empty database: its station and people exist nowhere."""
    path = tmp_path / "empty.db"
    engine_of(path).dispose()
    problems = refused(path, write_book(tmp_path / "s.xlsx", {"服务记录": rows("services")}))
    # S001: S1, B1, B2 unknown; S002: S1, B1 unknown
    assert sorted((p.row, p.column, p.value) for p in problems) == [
        (2, "服务对象编码", "B1"), (2, "服务对象编码", "B2"), (2, "站点编码", "S1"),
        (3, "服务对象编码", "B1"), (3, "站点编码", "S1")]


# -- idempotence, updates, removed rows -----------------------------------------

def test_same_workbook_twice_changes_nothing(db, tmp_path):
    result = import_workbook(engine_of(db), write_book(tmp_path / "again.xlsx", base_sheets()))
    assert not result.changed_anything
    # every row read is unchanged: 2 stations, 1 project, 1 worker, 3 people, 2 services, 1 case,
    # 2 case sessions, 1 group, 2 group sessions, 2 measurements
    assert result.counts()["未变"].tolist() == [2, 1, 1, 3, 2, 1, 2, 1, 2, 2]
    assert result.counts()["读入"].tolist() == [2, 1, 1, 3, 2, 1, 2, 1, 2, 2]


def test_corrected_workbook_updates_changed_rows_and_names_them(db, tmp_path):
    services = [dict(BASE["services"][0], summary="入户探访"), BASE["services"][1],
                dict(BASE["services"][1], code="S003", date=D("2025-05-01"))]
    book = write_book(tmp_path / "fix.xlsx", base_sheets(services=rows("services", services)))
    result = import_workbook(engine_of(db), book)
    change = next(s for s in result.sheets if s.table == "services")
    assert (change.new, change.changed, change.unchanged, change.removed) == ([("S003",)], [("S001",)], 1, [])
    loaded = storage.load_dataset(engine_of(db)).services.set_index("code")
    assert loaded.loc["S001", "summary"] == "入户探访"
    assert sorted(loaded.index) == ["S001", "S002", "S003"]


def test_removed_row_is_reported_not_deleted_and_prune_deletes_it(db, tmp_path):
    book = write_book(tmp_path / "less.xlsx", base_sheets(services=rows("services", BASE["services"][:1])))
    result = import_workbook(engine_of(db), book)
    change = next(s for s in result.sheets if s.table == "services")
    assert change.removed == [("S002",)] and not result.changed_anything
    assert sorted(storage.load_dataset(engine_of(db)).services["code"]) == ["S001", "S002"]

    result = import_workbook(engine_of(db), book, prune=True)
    assert result.pruned and result.changed_anything
    assert sorted(storage.load_dataset(engine_of(db)).services["code"]) == ["S001"]


def test_prune_touches_only_the_workbooks_stations_and_sheets(db, tmp_path):
    """A workbook of S1's people only: S2's person B9 and every other table stay."""
    people = [r for r in BASE["beneficiaries"] if r["station_code"] == "S1"]
    book = write_book(tmp_path / "s1.xlsx", {"服务对象": rows("beneficiaries", people)})
    result = import_workbook(engine_of(db), book, prune=True)
    assert [s.table for s in result.sheets] == ["beneficiaries"]
    assert result.sheets[0].removed == [] and not result.changed_anything
    after = storage.load_dataset(engine_of(db))
    assert sorted(after.beneficiaries["code"]) == ["B1", "B2", "B9"]
    assert len(after.services) == 2


def test_prune_that_would_break_references_is_refused(db, tmp_path):
    """Pruning B2 would leave service S001 (not in this workbook) pointing at nobody."""
    people = [r for r in BASE["beneficiaries"] if r["code"] != "B2"]
    book = write_book(tmp_path / "p.xlsx", {"服务对象": rows("beneficiaries", people)})
    problems = _refused_prune(db, book)
    assert [(p.where, p.row, p.column, p.code) for p in problems] == [("服务记录", None, "服务对象编码",
                                                                      "unknown_reference")]
    assert problems[0].message.startswith(DB_PREFIX)


def _refused_prune(db_path, book):
    before = digest(db_path)
    with pytest.raises(DataError) as info:
        import_workbook(engine_of(db_path), book, prune=True)
    assert digest(db_path) == before
    return info.value.problems


def test_dry_run_reports_and_writes_nothing(db, tmp_path):
    services = BASE["services"] + [dict(BASE["services"][1], code="S003")]
    book = write_book(tmp_path / "more.xlsx", base_sheets(services=rows("services", services)))
    engine = engine_of(db)
    before = _ledger_rows(engine)
    result = import_workbook(engine, book, dry_run=True)
    assert next(s for s in result.sheets if s.table == "services").new == [("S003",)]
    assert _ledger_rows(engine) == before  # only the audit trail records the dry run
    last = audit.read(engine).iloc[-1]
    assert (last["action"], bool(last["dry_run"]), last["new"], last["file_name"]) == ("import", True, 1, "more.xlsx")


def _ledger_rows(engine) -> dict:
    from sgzlib.store.db import SQL_TABLES

    with engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(sa.select(t)).fetchall()), key=repr)
                for name, t in SQL_TABLES.items()}


def test_masked_export_is_refused(db, tmp_path):
    from sgzlib.ledger import export_workbook

    book = export_workbook(storage.load_dataset(engine_of(db)), tmp_path / "masked.xlsx", mask=True)
    problems = refused(db, book)
    assert [p.code for p in problems] == ["masked_workbook"]


# -- the command line --------------------------------------------------------------

def test_cli_refusal_exits_non_zero_and_writes_the_errors_workbook(db, tmp_path, capsys):
    sheets = set_cell(base_sheets(), "小组活动", 3, "签到人数", "八人")
    sheets = set_cell(sheets, "服务记录", 2, "站点编码", "S7")
    book = write_book(tmp_path / "bad.xlsx", sheets)
    before = digest(db)
    out = tmp_path / "errors.xlsx"
    code = cli.main(["import", str(book), "--db", f"sqlite:///{db}", "--errors-out", str(out)])
    assert code == 2 and digest(db) == before
    err = capsys.readouterr().err
    assert "服务记录 第2行 「站点编码」列" in err and "共 2 处" in err
    ws = load_workbook(out)["错误清单"]
    table = [[c.value for c in r] for r in ws.iter_rows()]
    assert table[0] == ["序号", "工作表", "行号", "单元格", "列", "填写的值", "问题及改法", "问题类别"]
    # 站点编码 is column B of 服务记录, 签到人数 column D of 小组活动
    assert [r[1:6] for r in table[1:]] == [["服务记录", 2, "B2", "站点编码", "S7"], ["小组活动", 3, "D3", "签到人数", "八人"]]
    # the category in Chinese, never the code (unknown_reference, bad_int) of the problem
    assert [r[7] for r in table[1:]] == ["引用的编码不存在", "不是整数"]
    assert ws.freeze_panes == "A2"


def test_cli_prints_the_summary_and_changed_keys(db, tmp_path, capsys):
    services = [dict(BASE["services"][0], place="社区活动室"), BASE["services"][1]]
    book = write_book(tmp_path / "fix.xlsx", base_sheets(services=rows("services", services)))
    assert cli.main(["import", str(book), "--db", f"sqlite:///{db}"]) == 0
    out = capsys.readouterr().out
    assert "「服务记录」修改的行：S001" in out
    line = next(line.split() for line in out.splitlines() if line.split()[:1] == ["服务记录"])
    assert line == ["服务记录", "2", "0", "1", "1", "0"]  # read 2, new 0, changed 1, unchanged 1, gone 0
    assert cli.main(["import", str(book), "--db", f"sqlite:///{db}"]) == 0
    assert "数据库已是最新，未做任何修改。" in capsys.readouterr().out
