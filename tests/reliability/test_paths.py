"""Values that become file names: refused at import when they could leave a folder, and contained when writing.

Station and project codes and district names name the report files (``out/station/<code>_<date>.html``).
At import a code may only hold letters (Latin or Chinese), digits and ``- _ .`` and may not start with a
dot; a station name or district may not hold a path separator or a control character. Invisible characters
come first (docs/ledger.md「看不见的字符」): a zero-width one is deleted with a note, so ``a\u200bb`` is
imported as ``ab``, the code the person sees; a direction control is refused at its cell. Data already in a
database (written before this check, or by another tool) is still written only inside ``--out``: each part
of a report path is made a safe file name and the resolved path is checked to lie inside the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ledger_books import BASE, base_sheets, rows, write_book

from sgzlib.errors import ConfigError, DataError
from sgzlib.ledger import import_workbook
from sgzlib.ledger.cells import path_value_error
from sgzlib.reports import jobs
from sgzlib.store import storage
from sgzlib.store.outputs import contained, safe_name

HOSTILE_CODES = ["../../../../外部/x", "..\\..\\x", ".hidden", "a|b", "C:x", "x*?", "站/点"]
HOSTILE_NAMES = ["../../外部", "区\\县", ".."]
# Deleted with a note at import (docs/ledger.md「看不见的字符」), still hostile to a file name if already stored.
ZERO_WIDTH = {"code": ("a\u200bb", "ab"), "district": ("东湖\u200b街道", "东湖街道"), "name": ("东湖\u200b街道", "东湖街道")}


def _book_with(tmp_path: Path, station: dict | None = None, project: dict | None = None) -> Path:
    stations = BASE["stations"] + ([station] if station else [])
    projects = BASE["projects"] + ([project] if project else [])
    return write_book(tmp_path / "hostile.xlsx", base_sheets(stations=rows("stations", stations),
                                                              projects=rows("projects", projects)))


def _refusal(engine, path: Path) -> list:
    before = storage.load_dataset(engine)
    with pytest.raises(DataError) as info:
        import_workbook(engine, path)
    after = storage.load_dataset(engine)
    assert {k: len(v) for k, v in before.frames.items()} == {k: len(v) for k, v in after.frames.items()}
    return info.value.problems


@pytest.mark.parametrize("code", HOSTILE_CODES)
def test_hostile_station_code_refused_with_sheet_row_and_column(sqlite_engine, tmp_path, code):
    # The new station is the third row of 社工站 (header row 1, S1 row 2, S2 row 3): Excel row 4.
    path = _book_with(tmp_path, {"code": code, "name": "外部站", "level": "乡镇街道站", "district": "测试区"})
    problems = _refusal(sqlite_engine, path)
    mine = [p for p in problems if p.where == "社工站" and p.row == 4 and p.column == "站点编码"]
    assert len(mine) == 1
    assert "编码" in mine[0].message and ("报告文件以编码命名" in mine[0].message)


@pytest.mark.parametrize("code", ["P/../../x", "../P1", ".P"])
def test_hostile_project_code_refused(sqlite_engine, tmp_path, code):
    project = dict(BASE["projects"][0], code=code)
    problems = _refusal(sqlite_engine, _book_with(tmp_path, project=project))
    # BASE has one project (row 2); the hostile one is Excel row 3.
    assert [(p.where, p.row, p.column) for p in problems if p.column == "项目编码"] == [("项目", 3, "项目编码")]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("column, header", [("district", "所属区县"), ("name", "站点名称")])
def test_hostile_district_and_station_name_refused(sqlite_engine, tmp_path, name, column, header):
    station = {"code": "S3", "name": "丙站", "level": "乡镇街道站", "district": "测试区", column: name}
    problems = _refusal(sqlite_engine, _book_with(tmp_path, station))
    assert [(p.where, p.row, p.column) for p in problems if p.column == header] == [("社工站", 4, header)]


@pytest.mark.parametrize("column, header", [("code", "站点编码"), ("district", "所属区县"), ("name", "站点名称")])
def test_zero_width_space_in_a_code_or_name_is_deleted_with_a_note(sqlite_engine, tmp_path, column, header):
    typed, seen = ZERO_WIDTH[column]
    station = {"code": "S3", "name": "丙站", "level": "乡镇街道站", "district": "测试区", column: typed}
    result = import_workbook(sqlite_engine, _book_with(tmp_path, station))
    stations = storage.load_dataset(sqlite_engine).stations
    assert seen in stations[column].tolist() and typed not in stations[column].tolist()
    # The third row of 社工站 is Excel row 4; the note names the sheet, the column, the cell and the character.
    notes = [n for n in result.notes if f"「社工站」「{header}」列的 " in n]
    assert len(notes) == 1 and "4 含有看不见的字符 U+200B（零宽空格），已删除" in notes[0]


@pytest.mark.parametrize("column, header", [("code", "站点编码"), ("district", "所属区县"), ("name", "站点名称")])
def test_direction_control_in_a_code_or_name_is_refused_at_its_cell(sqlite_engine, tmp_path, column, header):
    station = {"code": "S3", "name": "丙站", "level": "乡镇街道站", "district": "测试区", column: "a\u202eb"}
    problems = _refusal(sqlite_engine, _book_with(tmp_path, station))
    mine = [p for p in problems if p.column == header]
    assert [(p.where, p.row) for p in mine] == [("社工站", 4)] and "U+202E" in mine[0].message


def test_ordinary_codes_and_names_accepted():
    for code in ("YL01", "YL01-V1", "P2025-YL01", "东湖_01", "站点.2025"):
        assert path_value_error("stations", "code", code) is None
    for name in ("云岭区", "东湖街道社会工作服务站", "阿荣旗（试点）", "区 县"):
        assert path_value_error("stations", "district", name) is None
    assert path_value_error("stations", "code", "x" * 65) is not None  # longer than a file name should be
    # Other code columns are not file names: a record number may hold a slash.
    assert path_value_error("services", "code", "2025/001") is None


def test_valid_book_still_imports(sqlite_engine, tmp_path):
    # The check must not refuse the ordinary ledger.
    result = import_workbook(sqlite_engine, _book_with(tmp_path))
    assert result.stations == ["S1", "S2"]


@pytest.mark.parametrize("part", HOSTILE_CODES + HOSTILE_NAMES + [typed for typed, _ in ZERO_WIDTH.values()]
                         + ["/etc/passwd", "", "...", "a\x00b"])
def test_contained_never_leaves_the_root(tmp_path, part):
    root = tmp_path / "out"
    path = contained(root, "station", f"{part}_2025-10-31.html")
    resolved = path.resolve()
    assert root.resolve() in resolved.parents
    assert resolved.parent == (root / "station").resolve()  # one file name: no folder made from data


def test_contained_refuses_a_symlink_out_of_the_root(tmp_path):
    # Resolving, not only cleaning the name: a folder inside --out that links outside is refused.
    root, outside = tmp_path / "out", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "station")
    with pytest.raises(ConfigError, match="不在输出目录"):
        contained(root, "station", "YL01_2025-10-31.html")


def test_safe_name_examples():
    assert safe_name("../../../../外部/x_2025-10-31") == "_.._.._.._外部_x_2025-10-31"
    assert safe_name("..") == "_"
    assert safe_name("YL01_2025-10-31") == "YL01_2025-10-31"  # ordinary names unchanged


def _hostile_db(base: Path) -> str:
    """A database holding hostile codes and district (written directly, as by an older version)."""
    import pandas as pd

    from sgzlib.domain.dataset import Dataset

    url = f"sqlite:///{base / 'hostile.db'}"
    evil = "../../../../外部/x"
    ds = Dataset({
        "stations": pd.DataFrame([{"code": evil, "name": "外部站", "level": "乡镇街道站", "district": "../../外部区"}]),
        "projects": pd.DataFrame([{"code": "../../P/../y", "station_code": evil, "year": 2025,
                                   "start": pd.Timestamp("2025-01-01"), "end": pd.Timestamp("2025-12-31"),
                                   "budget": 100000.0, "catalogue": "civil-affairs-2024", "tier": "10万"}])})
    storage.write_dataset(storage.connect(url), ds)
    return url


def _files_outside(base: Path, out: Path) -> list[Path]:
    return [p for p in base.rglob("*") if p.is_file() and out not in p.parents and p.name != "hostile.db"]


def test_report_jobs_paths_inside_out_for_hostile_data(tmp_path):
    base = tmp_path / "a" / "b" / "c" / "d"
    base.mkdir(parents=True)
    url = _hostile_db(base)
    out = base / "out"
    todo = (jobs.station_jobs(url, None, "2025-06-30") + jobs.assessment_jobs(url, None, "2025-06-30")
            + jobs.district_jobs(url, None, "2025-06-30"))
    assert len(todo) == 3
    for job in todo:
        for suffix in (".ipynb", ".html", ".pdf", ".xlsx"):
            path = job.path(out, suffix).resolve()
            assert path.parent == (out / job.kind).resolve(), path


@pytest.mark.slow
def test_reports_for_hostile_data_write_only_inside_out(tmp_path):
    # The real batch (notebooks, score sheet, HTML) on hostile codes: every file lands in out/<kind>/.
    from sgzlib.reports import batch

    base = tmp_path / "a" / "b" / "c" / "d"
    base.mkdir(parents=True)
    url = _hostile_db(base)
    out = base / "out"
    todo = (jobs.station_jobs(url, None, "2025-06-30") + jobs.assessment_jobs(url, None, "2025-06-30")
            + jobs.district_jobs(url, None, "2025-06-30"))
    results = batch.run_jobs(todo, out, formats=("ipynb", "html"), workers=2, progress=False)
    assert [r.error for r in results] == [None, None, None]
    assert _files_outside(tmp_path, out) == []
    written = sorted(p.relative_to(out).parts[0] for p in out.rglob("*") if p.is_file())
    # station: ipynb + html + 督导记录 xlsx; assessment: ipynb + html + xlsx; district: ipynb + html;
    # and each folder its plotly.js.
    assert written == ["assessment"] * 4 + ["district"] * 3 + ["station"] * 4
