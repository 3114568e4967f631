"""Export → import is a round trip: the demo district, one station, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from sgzlib import cli
from sgzlib.domain import schema
from sgzlib.domain.dataset import Dataset
from sgzlib.ledger import export_workbook, import_workbook, read_workbook
from sgzlib.store import storage


def assert_same(a: Dataset, b: Dataset) -> None:
    for t in schema.TABLES:
        left = a[t.name].sort_values(list(t.key)).reset_index(drop=True)
        right = b[t.name].sort_values(list(t.key)).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, obj=t.name)


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory, demo_ds):
    return export_workbook(demo_ds, tmp_path_factory.mktemp("demo") / "云岭区.xlsx")


def test_export_reads_back_exactly(demo_book, demo_ds):
    ledger = read_workbook(demo_book)
    assert ledger.all_problems() == [] and ledger.notes == []
    assert_same(ledger.dataset(), demo_ds)


@pytest.mark.slow
def test_demo_builds_through_the_import_path(sqlite_engine, demo_book, demo_ds):
    result = import_workbook(sqlite_engine, demo_book)
    assert {s.table: len(s.new) for s in result.sheets} == demo_ds.sizes()
    assert_same(storage.load_dataset(sqlite_engine), demo_ds)


@pytest.mark.slow
@pytest.mark.postgres
def test_demo_export_import_changes_nothing(any_engine, demo_ds, tmp_path):
    storage.write_dataset(any_engine, demo_ds)
    book = export_workbook(storage.load_dataset(any_engine), tmp_path / "export.xlsx")
    result = import_workbook(any_engine, book, prune=True)
    assert not result.changed_anything
    assert {s.table: s.read for s in result.sheets} == demo_ds.sizes()
    assert all(not s.removed for s in result.sheets)
    assert_same(storage.load_dataset(any_engine), demo_ds)


@pytest.mark.slow
def test_one_station_exported_and_reimported_with_prune_changes_nothing(sqlite_engine, demo_ds, tmp_path, capsys):
    storage.write_dataset(sqlite_engine, demo_ds)
    url = str(sqlite_engine.url)
    out = tmp_path / "YL01.xlsx"
    assert cli.main(["export", "--db", url, "--station", "YL01", str(out)]) == 0
    # YL01 and its two village rooms
    assert [r[0].value for r in load_workbook(out, read_only=True)["社工站"].iter_rows(min_row=2)] == \
        ["YL01", "YL01-V1", "YL01-V2"]
    capsys.readouterr()
    assert cli.main(["import", "--db", url, "--prune", str(out)]) == 0
    assert "数据库已是最新，未做任何修改。" in capsys.readouterr().out
    assert_same(storage.load_dataset(sqlite_engine), demo_ds)


def test_masked_export_hides_personal_data(sqlite_engine, tmp_path):
    people = pd.DataFrame([{"code": "B1", "name": "张小三", "station_code": "S1", "category": "社会救助",
                            "joined": "2025-01-01", "phone": "13812341234"}])
    stations = pd.DataFrame([{"code": "S1", "name": "甲站", "level": "乡镇街道站", "district": "测试区"}])
    storage.write_dataset(sqlite_engine, Dataset({"stations": stations, "beneficiaries": people}))
    out = tmp_path / "masked.xlsx"
    assert cli.main(["export", "--db", str(sqlite_engine.url), "--mask", str(out)]) == 0
    row = [c.value for c in load_workbook(out)["服务对象"][2]]
    assert row[1] == "张*三" and row[4] == "138****1234"
