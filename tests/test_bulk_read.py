"""Bulk reads of a SQLite file: several connections at once give what one connection gives, at one moment."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from sgzlib.domain import schema
from sgzlib.store import bulk_read, storage


@pytest.fixture
def demo_db(tmp_path, demo_ds):
    engine = storage.connect(f"sqlite:///{tmp_path / 'sgz.db'}")
    storage.write_dataset(engine, demo_ds)
    return engine


def jobs() -> list:
    return [(t, storage._scoped_select(t, None)) for t in schema.TABLES if t.name != "stations"]


def test_parallel_reads_in_rowid_ranges_equal_one_connection(demo_db, demo_ds, monkeypatch):
    monkeypatch.setattr(bulk_read, "SQLITE_CHUNK_ROWS", 500)
    ran = []
    original = bulk_read.SqliteReader._parallel
    monkeypatch.setattr(bulk_read.SqliteReader, "_parallel", lambda self, tasks: ran.append(tasks) or original(self, tasks))
    with demo_db.connect() as conn, bulk_read.reader_for(conn) as reader:
        parallel = reader.many(jobs())
        single = bulk_read.Reader.many(reader, jobs())
    (tasks,) = ran
    # services: the demo's rows (written in one go: rowids 1..n) in ceil(n / 500) rowid ranges
    n = len(demo_ds["services"])
    assert n > 1000
    assert sum(1 for task in tasks if task[0] == "services") == -(-n // 500)
    for name, frame in single.items():
        assert len(frame) == len(demo_ds[name])
        pd.testing.assert_frame_equal(parallel[name], frame, check_dtype=True, obj=name)


WRITE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("UPDATE beneficiaries SET name = '改过的名字' WHERE code = ?", (sys.argv[2],))
"""


def test_a_write_between_the_first_read_and_the_workers_is_not_seen(demo_db, demo_ds, monkeypatch):
    """WAL lets a writer commit while a reader is open; every table must still come from the first read's moment."""
    path = demo_db.url.database
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    code = demo_ds["beneficiaries"]["code"].iloc[0]
    gave_up = []
    original = bulk_read.SqliteReader._parallel
    monkeypatch.setattr(bulk_read.SqliteReader, "_parallel",
                        lambda self, tasks: gave_up.append(result := original(self, tasks)) or result)
    with demo_db.connect() as conn, bulk_read.reader_for(conn) as reader:
        stations = reader(schema.TABLE_BY_NAME["stations"], storage._scoped_select(schema.TABLE_BY_NAME["stations"], None))
        subprocess.run([sys.executable, "-c", WRITE, path, code], check=True)
        frames = reader.many(jobs())
    assert len(stations) == len(demo_ds["stations"])
    assert gave_up == [None]  # the monitor saw the commit: the parallel read was dropped
    names = frames["beneficiaries"].set_index("code")["name"]
    assert names[code] == demo_ds["beneficiaries"].set_index("code")["name"][code]  # the name before the write
    # and a new read sees the write
    assert storage.load_dataset(demo_db)["beneficiaries"].set_index("code")["name"][code] == "改过的名字"
