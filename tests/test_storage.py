"""Storage: round trip, keyed diffs, prune and scope — on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from sgzlib.domain import schema
from sgzlib.domain.dataset import Dataset
from sgzlib.errors import DataError
from sgzlib.store import db, storage


def assert_same(a: Dataset, b: Dataset) -> None:
    """Every table equal after sorting by its natural key."""
    for t in schema.TABLES:
        left = a[t.name].sort_values(list(t.key)).reset_index(drop=True)
        right = b[t.name].sort_values(list(t.key)).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=True, obj=t.name)


@pytest.mark.slow
def test_demo_round_trip(any_engine, demo_ds):
    summary = storage.write_dataset(any_engine, demo_ds)
    # everything new on an empty database: the counts are the demo's own sizes
    assert {n: len(c.new) for n, c in summary.tables.items()} == demo_ds.sizes()
    back = storage.load_dataset(any_engine)
    assert_same(demo_ds, back)


@pytest.mark.slow
def test_second_write_changes_nothing(any_engine, demo_ds):
    storage.write_dataset(any_engine, demo_ds)
    again = storage.write_dataset(any_engine, demo_ds)
    assert not again.changed_anything
    assert sum(c.unchanged for c in again.tables.values()) == sum(demo_ds.sizes().values())


def small(ds_rows: dict) -> Dataset:
    base = {
        "stations": [{"code": "S1", "name": "甲站", "level": "乡镇街道站", "district": "测试区"},
                     {"code": "S2", "name": "乙站", "level": "乡镇街道站", "district": "测试区"}],
        "beneficiaries": [{"code": "B1", "name": "张三", "station_code": "S1", "category": "社会救助",
                           "joined": "2025-01-01"},
                          {"code": "B2", "name": "李四", "station_code": "S1", "category": "困难老人",
                           "joined": "2025-01-01"},
                          {"code": "B9", "name": "王五", "station_code": "S2", "category": "残疾人",
                           "joined": "2025-01-01"}],
    }
    base.update(ds_rows)
    return Dataset({k: pd.DataFrame(v) for k, v in base.items()})


def test_changed_new_and_removed_rows_are_reported_by_key(any_engine):
    storage.write_dataset(any_engine, small({}))
    # B1 renamed, B2 gone, B3 new; S2's B9 is outside the scope (station S1 only) and must not be touched
    update = small({"beneficiaries": [
        {"code": "B1", "name": "张三丰", "station_code": "S1", "category": "社会救助", "joined": "2025-01-01"},
        {"code": "B3", "name": "赵六", "station_code": "S1", "category": "困境儿童", "joined": "2025-02-01"}]})
    update.frames["stations"] = update.stations[update.stations.code == "S1"]
    summary = storage.write_dataset(any_engine, update)
    change = summary.tables["beneficiaries"]
    assert (change.new, change.changed, change.removed, change.unchanged) == ([("B3",)], [("B1",)], [("B2",)], 0)
    names = storage.load_dataset(any_engine).beneficiaries.set_index("code")["name"].to_dict()
    # not pruned: B2 stays; B9 of the other station untouched
    assert names == {"B1": "张三丰", "B2": "李四", "B3": "赵六", "B9": "王五"}


def test_prune_deletes_only_within_scope(any_engine):
    storage.write_dataset(any_engine, small({}))
    update = small({"beneficiaries": [
        {"code": "B1", "name": "张三", "station_code": "S1", "category": "社会救助", "joined": "2025-01-01"}]})
    update.frames["stations"] = update.stations[update.stations.code == "S1"]
    summary = storage.write_dataset(any_engine, update, prune=True)
    assert summary.tables["beneficiaries"].removed == [("B2",)]
    assert sorted(storage.load_dataset(any_engine).beneficiaries["code"]) == ["B1", "B9"]


def test_dry_run_writes_nothing(sqlite_engine):
    summary = storage.write_dataset(sqlite_engine, small({}), dry_run=True)
    assert len(summary.tables["beneficiaries"].new) == 3
    assert storage.load_dataset(sqlite_engine).sizes()["beneficiaries"] == 0


def test_invalid_dataset_is_refused_and_nothing_written(sqlite_engine):
    bad = small({"cases": [{"code": "C1", "station_code": "S1", "beneficiary_code": "B1", "domain": "社会救助",
                            "opened": "2025-03-01", "closed": "2025-02-01", "close_reason": "目标达成"},
                           {"code": "C2", "station_code": "S1", "beneficiary_code": "B404", "domain": "社会救助",
                            "opened": "2025-03-01"}]})
    with pytest.raises(DataError) as err:
        storage.write_dataset(sqlite_engine, bad)
    codes = sorted(p.code for p in err.value.problems)
    assert codes == ["closed_before_opened", "unknown_reference"]
    assert "对象编码「B404」在「服务对象」中不存在" in str(err.value)
    assert sum(storage.load_dataset(sqlite_engine).sizes().values()) == 0


def test_load_one_station_includes_its_village_rooms(sqlite_engine, demo_ds):
    storage.write_dataset(sqlite_engine, demo_ds)
    one = storage.load_dataset(sqlite_engine, "YL03")
    # YL03 and its two village rooms YL03-V1, YL03-V2
    assert sorted(one.stations["code"]) == ["YL03", "YL03-V1", "YL03-V2"]
    expected = demo_ds.subset("YL03")
    assert one.sizes() == expected.sizes()
    assert set(one.case_sessions["case_code"]) <= set(one.cases["code"])


def test_schema_is_created_by_migrations(sqlite_engine):
    tables = set(sa.inspect(sqlite_engine).get_table_names())
    assert tables == {t.name for t in schema.TABLES} | {"photo_files", "alembic_version", "audit_log",
                                                        "sgz_access_users", "sgz_access_scope", "spending_overrules",
                                                        "first_seen", *db.EVALUATION_TABLES}
    with sqlite_engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == storage.head_revision()


def test_a_database_at_the_photos_revision_gains_the_supervision_cycle_tables(tmp_path):
    """0001 → 0002 (photos, spending) → 0003 (supervision cycle) → 0004 (access, audit) → 0005 (spending overrules)
    → 0006 (first seen) → 0007 (evaluation workflow)
    → 0008 (station supervisors): one line; a 0002 database upgrades in place."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    storage.upgrade_schema(engine, "0002")
    before = set(sa.inspect(engine).get_table_names())
    assert "photo_files" in before and not {"supervision_items", "action_history"} & before
    chain = [(r.revision, r.down_revision) for r in alembic_script().walk_revisions()]
    assert chain == [("0008", "0007"), ("0007", "0006"), ("0006", "0005"), ("0005", "0004"), ("0004", "0003"), ("0003", "0002"),
                     ("0002", "0001"), ("0001", None)]
    storage.upgrade_schema(engine)
    assert {"supervision_items", "action_history", "audit_log", "first_seen"} <= set(sa.inspect(engine).get_table_names())
    assert storage.current_revision(engine) == storage.head_revision()


def alembic_script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(storage._config())


def test_head_revision_read_from_the_file_names_is_alembics_head():
    """``head_revision`` reads the last file number; Alembic reads each file's ``revision`` / ``down_revision``."""
    script = alembic_script()
    assert storage.head_revision() == script.get_current_head() == "0008"
    for r in script.walk_revisions():
        number = int(Path(r.path).name.split("_", 1)[0])
        assert r.revision == f"{number:04d}"
        assert r.down_revision == (f"{number - 1:04d}" if number > 1 else None)


def test_database_url_precedence(monkeypatch):
    monkeypatch.delenv(storage.ENV_VAR, raising=False)
    assert storage.database_url() == "sqlite:///data/sgz.db"
    monkeypatch.setenv(storage.ENV_VAR, "sqlite:///x.db")
    assert storage.database_url() == "sqlite:///x.db"
    assert storage.database_url("sqlite:///y.db") == "sqlite:///y.db"
