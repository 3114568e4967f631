"""Imports and first migrations killed part-way (SIGKILL, in a separate process): the database stays intact.

Kills at named points (``sgzlib.runtime.faults``: after every write of an import,
before COMMIT; after the first migration created every table, before
COMMIT) and after a delay into the command; then the database must be as it
was, or as the import leaves it, and the next command must work. Also: a
database half built by an older version is completed or repaired, and first
commands racing on a new database all succeed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa
from ledger_books import BASE, rows, write_book
from rel_helpers import ROOT, dump_hash, row_counts, sgz, sgz_here, station_book, station_sheets

from sgzlib.errors import ConfigError
from sgzlib.store import storage
from sgzlib.store.db import SQL_TABLES

KILLED = -signal.SIGKILL


def test_import_killed_before_commit_leaves_the_database_as_it_was(db_url, tmp_path):
    base = station_book(tmp_path, "S1", "base.xlsx")
    assert sgz_here("import", str(base), "--db", db_url).returncode == 0  # set-up: no kill here
    sheets = station_sheets("S1")
    sheets["服务记录"] = rows("services", BASE["services"] + [dict(BASE["services"][0], code="S003")])
    more = write_book(tmp_path / "more.xlsx", sheets)
    before = dump_hash(db_url)
    run = sgz("import", str(more), "--db", db_url, "--prune", env={"SGZ_FAULT_AT": "import-written"})
    assert run.returncode == KILLED, run.stderr
    assert dump_hash(db_url) == before
    again = sgz_here("import", str(more), "--db", db_url)  # the next command, in any process, works
    assert again.returncode == 0, again.stderr
    assert row_counts(db_url)["services"] == 3


def test_first_migration_killed_leaves_no_half_schema(db_url, tmp_path):
    base = station_book(tmp_path, "S1", "base.xlsx")
    run = sgz("import", str(base), "--db", db_url, env={"SGZ_FAULT_AT": "migrate-created"})
    assert run.returncode == KILLED, run.stderr
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        present = [n for n in ["alembic_version", *SQL_TABLES] if sa.inspect(conn).has_table(n)]
    engine.dispose()
    assert present == []  # rolled back whole: no "table assessments already exists" later
    again = sgz_here("import", str(base), "--db", db_url)  # the next command, in any process, works
    assert again.returncode == 0, again.stderr
    assert row_counts(db_url)["services"] == 2


@pytest.mark.slow
def test_imports_killed_after_a_delay_leave_nothing_or_everything(db_url, second_url, tmp_path):
    """Kills at fractions of the time a whole ``sgz import`` takes on a new database (start-up, migration,
    reading, checking, writing): after each, the database is empty or complete, and the next import works."""
    base = station_book(tmp_path, "S1", "base.xlsx")
    started = time.perf_counter()
    assert sgz("import", str(base), "--db", second_url).returncode == 0
    whole = time.perf_counter() - started
    complete = dump_hash(second_url)
    outcomes = []
    for fraction in (0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0):
        empty = dump_hash(db_url)
        proc = subprocess.Popen([sys.executable, "-m", "sgzlib.cli", "import", str(base), "--db", db_url],
                                cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(whole * fraction)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
        assert b"Traceback" not in err
        state = dump_hash(db_url)
        outcomes.append("完成" if state == complete else "未动" if state == empty
                        else "仅建库" if _migrated_and_empty(db_url) else "残缺")
        assert outcomes[-1] != "残缺", (fraction, row_counts(db_url))
        # Every later command works. Run in this process: only the killed import is about a process of its
        # own, and a re-import here (no start-up) made this test about twice as fast.
        run = sgz_here("import", str(base), "--db", db_url)
        assert run.returncode == 0, run.stderr
        assert dump_hash(db_url) == complete
        storage.drop_all(sa.create_engine(db_url))
    print(f"一次完整导入 {whole:.1f} 秒；各次中止的结果：{outcomes}")


def _migrated_and_empty(url: str) -> bool:
    """The migration committed, the import did not: every table there, at the head revision, no rows."""
    engine = sa.create_engine(url)
    try:
        at_head = storage.current_revision(engine) == storage.head_revision()
    finally:
        engine.dispose()
    return at_head and not any(row_counts(url).values())


def test_half_built_empty_schema_is_completed(db_url, tmp_path):
    """Tables left by an interrupted first creation of an older version (no revision): built again."""
    engine = sa.create_engine(db_url)
    SQL_TABLES["assessments"].create(engine)
    SQL_TABLES["stations"].create(engine)
    engine.dispose()
    base = station_book(tmp_path, "S1", "base.xlsx")
    run = sgz_here("import", str(base), "--db", db_url)
    assert run.returncode == 0, run.stderr
    assert storage.current_revision(sa.create_engine(db_url)) == storage.head_revision()


def test_half_built_schema_with_data_names_the_repair_command(db_url, tmp_path):
    engine = sa.create_engine(db_url)
    SQL_TABLES["stations"].create(engine)
    with engine.begin() as conn:
        conn.execute(SQL_TABLES["stations"].insert(), [{"code": "S1", "name": "甲站", "level": "乡镇街道站",
                                                        "district": "测试区"}])
    engine.dispose()
    with pytest.raises(ConfigError, match="sgz repair-db"):
        storage.connect(db_url)
    run = sgz_here("evaluate", "--all", "--db", db_url)
    assert run.returncode == 2 and "sgz repair-db" in run.stderr and "Traceback" not in run.stderr
    repaired = sgz_here("repair-db", "--db", db_url)
    assert repaired.returncode == 0, repaired.stderr
    assert "已补建" in repaired.stdout
    counts = row_counts(db_url)
    assert counts["stations"] == 1 and set(counts) == set(SQL_TABLES)  # the data kept, every table there


def test_first_commands_racing_on_a_new_database_all_succeed(db_url):
    """Four first connections at once (it was 7 crashes in 8 on PostgreSQL, 2 in 4 on SQLite)."""
    barrier = threading.Barrier(4)
    errors = []

    def first():
        barrier.wait()
        try:
            storage.connect(db_url).dispose()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=first) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert storage.current_revision(sa.create_engine(db_url)) == storage.head_revision()


def test_connect_does_not_migrate_a_database_at_the_head_revision(db_url, monkeypatch):
    storage.connect(db_url).dispose()
    calls = []
    monkeypatch.setattr(storage, "upgrade_schema", lambda *a, **k: calls.append(a))
    storage.connect(db_url).dispose()
    assert calls == []
