"""Helpers of the reliability suite: database fingerprints and the two station workbooks."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from ledger_books import BASE, rows, write_book

from sgzlib.domain import schema
from sgzlib.store.db import SQL_TABLES

ROOT = Path(__file__).resolve().parents[2]


def dump_hash(url: str) -> str:
    """SHA-256 of every row of every table (sorted by key) and of the schema revision: equal means unchanged."""
    engine = sa.create_engine(url)
    digest = hashlib.sha256()
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = [n for n in ["alembic_version", *SQL_TABLES] if inspector.has_table(n)]
            digest.update(repr(names).encode())
            for name in names:
                if name == "alembic_version":
                    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).fetchall()
                else:
                    table = SQL_TABLES[name]
                    key = [table.c[k] for k in schema.TABLE_BY_NAME[name].key]
                    rows = conn.execute(sa.select(table).order_by(*key)).fetchall()
                digest.update(f"{name}:{len(rows)}:{[tuple(r) for r in rows]!r}".encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                    for name, t in SQL_TABLES.items()}
    finally:
        engine.dispose()


def station_sheets(station: str) -> dict[str, list[list]]:
    """The base ledger's rows of one station (S1: everything of ``BASE``; S2: its station row and person B9)."""
    out = {}
    for table, records in BASE.items():
        t = schema.TABLE_BY_NAME[table]
        if t.station_column:
            mine = [r for r in records if r[t.station_column] == station]
        else:
            parent, local = schema.STATION_VIA[table]
            owners = {r["code"] for r in BASE[parent] if r["station_code"] == station}
            mine = [r for r in records if r[local] in owners]
        if mine:
            out[t.sheet] = rows(table, mine)
    return out


def station_book(folder: Path, station: str, name: str | None = None) -> Path:
    return write_book(folder / (name or f"{station}.xlsx"), station_sheets(station))


def sgz(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``sgz`` command line in a new process (this worktree first on the path)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "sgzlib.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=ROOT)


def sgz_here(*args: str) -> subprocess.CompletedProcess:
    """Run the ``sgz`` command line in this process, its output captured, for commands whose own process
    is not what a test is about (a few seconds of start-up saved each). An exception that escapes
    ``cli.main`` (a traceback for the user) propagates and fails the test."""
    from sgzlib import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return subprocess.CompletedProcess(["sgz", *args], code, out.getvalue(), err.getvalue())
