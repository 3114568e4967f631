"""Keeping a ``Dataset`` in a database: SQLite by default, PostgreSQL by URL.

The schema is created and upgraded by the Alembic migrations shipped in
``sgzlib/store/migrations``. Writes are keyed by the natural keys of ``schema``:
``write_dataset`` compares what is there with what comes in and reports, per
table, the rows that are new, changed, unchanged and no longer present, all
in one transaction. Reads return DataFrames for the analysis layers.

Concurrency: a writer's transaction (``write_transaction``) holds SQLite's
write lock from its BEGIN (``BEGIN IMMEDIATE``); on PostgreSQL it takes an
advisory lock per station it writes (``lock_stations``), so writers of
different stations run side by side. Migrations run in one transaction under
a lock (PostgreSQL advisory lock, SQLite write lock) and only when the
database is behind the shipped head revision.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ..domain import personal, schema
from ..domain.dataset import Dataset
from ..domain.validation import validate
from ..errors import ConfigError, NotFoundError
from ..runtime import faults
from . import bulk_read, privacy, spending_overrules
from .db import SQL_TABLES, metadata
from .photo_index import load_index
from .session import readable, relation, session

DEFAULT_URL = "sqlite:///data/sgz.db"
ENV_VAR = "SGZ_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``$SGZ_DATABASE_URL``, else ``data/sgz.db``."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def connect(url: str | None = None, upgrade: bool = True) -> sa.Engine:
    """An engine for the database, with the schema brought up to date.

    The revision is checked with one cheap query; the migrations run (under a
    database lock) only when the database is behind.
    """
    url = database_url(url)
    try:
        engine = sa.create_engine(url, **_engine_options(url))
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"数据库地址无效：{url}（{exc}）") from exc
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    if upgrade and current_revision(engine) != head_revision():
        upgrade_schema(engine)
    return engine


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_SECONDS}}
    return {}


# A writer waits this long for another writer of the same SQLite file before giving up.
SQLITE_BUSY_SECONDS = 300
# PostgreSQL advisory lock key of schema migrations (any fixed 64-bit number; "sgz-migr").
MIGRATION_LOCK = 0x73677A2D6D696772
WRITE_OPTION = "sgz_write"


@sa.event.listens_for(sa.Engine, "begin")
def _sqlite_begin(conn: sa.Connection) -> None:
    """SQLite: real transactions (DDL included); writers take the write lock at BEGIN.

    The sqlite3 module on its own starts transactions only before INSERT,
    UPDATE and DELETE, so a CREATE TABLE (a migration) ran outside any
    transaction and a kill left half a schema; and a read-check-write began as
    a read and let another writer in between. Here every transaction starts
    with an explicit BEGIN: ``BEGIN IMMEDIATE`` for connections marked with
    the ``sgz_write`` execution option (imports, migrations, writes), a
    deferred BEGIN for readers.
    """
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.driver_connection
    if dbapi.isolation_level is not None:
        dbapi.isolation_level = None  # no implicit transactions: we say BEGIN ourselves
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


MIGRATIONS = Path(__file__).parent / "migrations"


def _config():
    from alembic.config import Config  # Alembic only when a migration runs: it takes a third of a second to import

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    """The revision the shipped migrations end at: the number of the last one (``versions/0004_….py`` → ``0004``).

    Each migration's revision is its file's number and its ``down_revision`` the one before
    (``test_storage`` checks that against Alembic's own reading of the folder).
    """
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (``None`` for a new or half-built database), in one or two queries."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One write transaction: on SQLite it holds the database's write lock from its first statement.

    On PostgreSQL the writer locks what it writes with ``lock_stations``.
    """
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        try:
            with conn.begin():
                yield conn
        except sa.exc.OperationalError as exc:
            if "database is locked" in str(exc):
                raise ConfigError(f"数据库正被另一个导入或写入占用，等待 {SQLITE_BUSY_SECONDS} 秒后仍未释放，"
                                  "请稍后重试") from exc
            raise


def lock_stations(conn: sa.Connection, codes, *, shared: bool = False) -> None:
    """Lock these stations until the transaction ends (PostgreSQL advisory locks; SQLite: the write lock is held already).

    Locks are taken in a fixed order. ``shared`` locks (stations only read
    for references) let other readers in but not a writer of that station.
    """
    if conn.dialect.name != "postgresql":
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    for key in sorted({station_lock_key(c) for c in codes}):
        conn.execute(sa.text(f"SELECT {fn}(:k)"), {"k": key})


def station_lock_key(code: str) -> int:
    """The advisory lock key of a station (64-bit, from its code; a collision only serialises more)."""
    digest = hashlib.blake2b(f"sgz-station:{code}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_deadlock(exc: BaseException) -> bool:
    """PostgreSQL chose this transaction to break a lock cycle (it may simply be run again)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"


def upgrade_schema(engine: sa.Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on ``engine``, in one transaction under a database lock.

    Two first commands at once: the second waits and then finds the schema
    made. A first creation that was killed is rolled back whole (PostgreSQL,
    and SQLite since every migration runs inside an explicit BEGIN). A
    database half built by an older version (tables but no revision) is
    completed when those tables are empty, and refused in Chinese otherwise.
    """
    config = _config()
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        _settle_half_built(conn, engine)
        config.attributes["connection"] = conn
        from alembic import command

        command.upgrade(config, revision)
        faults.point("migrate-created")


def _settle_half_built(conn: sa.Connection, engine: sa.Engine) -> None:
    inspector = sa.inspect(conn)
    if inspector.has_table("alembic_version") and conn.execute(
            sa.text("SELECT count(*) FROM alembic_version")).scalar():
        return
    present = [name for name in SQL_TABLES if inspector.has_table(name)]
    if not present:
        return
    filled = [name for name in present if conn.execute(sa.select(sa.func.count()).select_from(SQL_TABLES[name])).scalar()]
    if filled:
        sheets = "、".join(schema.TABLE_BY_NAME[n].sheet for n in filled)
        raise ConfigError(
            f"数据库 {engine.url.render_as_string(hide_password=True)} 的结构没有建完（上次建库被中断），"
            f"但表中已有数据（{sheets}），不能自动补全。请先备份该数据库，然后执行 "
            f"`sgz repair-db --db 地址` 补建缺少的表并记下版本（已有数据保留）")
    for name in present:  # empty leftovers of an interrupted first creation: build them again
        conn.execute(sa.text(f'DROP TABLE "{name}"'))
    if inspector.has_table("alembic_version"):
        conn.execute(sa.text("DROP TABLE alembic_version"))


def repair_schema(engine: sa.Engine) -> list[str]:
    """Complete a half-built schema that already holds data: create the missing tables, record the revision.

    Returns the Chinese sheet names of the tables created. Only for a database
    whose migration was interrupted (tables but no revision); a database at a
    revision is left to ``upgrade_schema``.
    """
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        inspector = sa.inspect(conn)
        if inspector.has_table("alembic_version") and conn.execute(
                sa.text("SELECT count(*) FROM alembic_version")).scalar():
            return []
        missing = [name for name in SQL_TABLES if not inspector.has_table(name)]
        metadata.create_all(conn, tables=[SQL_TABLES[n] for n in missing])
        config = _config()
        config.attributes["connection"] = conn
        from alembic import command

        command.stamp(config, "head")
    return [schema.TABLE_BY_NAME[n].sheet for n in missing]


# -- reading ----------------------------------------------------------------

def load_dataset(engine: sa.Engine, stations: str | list[str] | None = None) -> Dataset:
    """The whole database, or the given stations and everything below them, as a ``Dataset``.

    Tables are read in bulk into Arrow columns (``sgzlib.store.bulk_read``: ADBC on a
    SQLite file and on PostgreSQL) and turned into the
    declared dtypes column by column; other databases, and machines without
    ``pyarrow``, read rows through SQLAlchemy. Both give the same frames.

    Under access control (``sgz access apply``) PostgreSQL returns only the
    rows of the user's stations, and a masked user's session reads the
    ``masked_…`` views in place of the tables: callers need not know.
    """
    with engine.connect() as conn, bulk_read.reader_for(conn) as reader:
        me = session(conn)  # a masked user reads the masked views (``access``)
        masked = bool(me and me.masked)
        read = (lambda t, scope: reader(t, _scoped_select(t, scope, masked))) if reader else (
            lambda t, scope: schema.coerce_frame(t, _read(conn, _scoped_select(t, scope, masked))))
        frames = {"stations": read(schema.TABLE_BY_NAME["stations"], None)}
        scope = None
        if stations is not None:
            scope = Dataset({"stations": frames["stations"]}).descendants(stations)
            known = set(frames["stations"]["code"])
            unknown = [s for s in ([stations] if isinstance(stations, str) else stations) if s not in known]
            if unknown:
                raise NotFoundError(f"站点编码不存在：{'、'.join(unknown)}")
        if scope is not None:
            frames["stations"] = frames["stations"][frames["stations"]["code"].isin(scope)]
        others = [t for t in schema.TABLES if t.name != "stations"]
        if reader:  # every other table at once (``bulk_read``: SQLite reads on several connections)
            frames.update(reader.many([(t, _scoped_select(t, scope, masked)) for t in others]))
        else:
            frames.update({t.name: read(t, scope) for t in others})
    if reader:
        frames["stations"] = frames["stations"].reset_index(drop=True)
        ds = Dataset.of_declared(frames)
    else:
        ds = Dataset(frames)
    ds.frames["photo_files"] = load_index(engine, scope)  # the photo index (sgz photos scan), not a ledger sheet
    ds.frames["spending_overrules"] = spending_overrules.load(engine, scope)  # evaluators' decisions on flags
    return ds


def load_tables(engine: sa.Engine, names) -> dict[str, pd.DataFrame]:
    """Some whole tables (e.g. stations and projects, to find what to report on), as the user may read them."""
    with engine.connect() as conn:
        return {name: pd.read_sql(sa.select(readable(conn, name)), conn) for name in names}


def shared_dataset(engine: sa.Engine, stations: str | list[str] | None = None, output: str = "export") -> Dataset:
    """The stations' data as it may go to the audience of ``output`` (``domain.personal.OUTPUTS``): masked by
    ``privacy``, free text scanned for the people of the whole database, not only of the stations loaded."""
    return mask_shared(engine, load_dataset(engine, stations), personal.audience_of(output), whole=stations is None)


def mask_shared(engine: sa.Engine, ds: Dataset, audience: str, whole: bool = False) -> Dataset:
    """``ds`` (read from ``engine``) masked for ``audience``, looking in free text for everyone in the database.

    ``whole``: ``ds`` is the whole database already (its people are everyone). A user under access control
    who sees only some stations cannot read the other stations' people: the database masks the free text
    for them (``sgz_mask_texts``, ``store.access``) before ``privacy`` masks the rest.
    """
    with engine.connect() as conn:
        me = session(conn)
        if whole or (me is not None and me.masked):  # a masked user's free text was masked by the views
            people = privacy.people_of(ds, audience)
        else:
            people = privacy.people_index(*database_people(conn), audience)
        if me is not None and not me.masked:
            ds = _database_masks_free_text(conn, ds, audience)
    return privacy.mask_dataset(ds, audience, people)


def database_people(conn: sa.Connection) -> tuple[pd.DataFrame, list]:
    """Every name of the database's name columns with its kind of person, and every birth date."""
    parts = []
    for f in personal.name_fields():
        column = readable(conn, f.table).c[f.column]
        values = conn.execute(sa.select(column).distinct().where(column.is_not(None))).scalars().all()
        parts.append(pd.DataFrame({"name": pd.Series(values, dtype=object), "person": f.person}))
    births = []
    for f in personal.fields(personal.BIRTH_DATE):
        column = readable(conn, f.table).c[f.column]
        births += conn.execute(sa.select(column).distinct().where(column.is_not(None))).scalars().all()
    return pd.concat(parts, ignore_index=True), births


def _database_masks_free_text(conn: sa.Connection, ds: Dataset, audience: str) -> Dataset:
    persons = sorted(personal.persons_masked(audience))
    frames = dict(ds.frames)
    for table, columns in personal.FREE_TEXT.items():
        frame = frames.get(table)
        if frame is None or frame.empty:
            continue
        frame = frame.copy(deep=False)
        for col in columns:
            values = [v for v in frame[col].dropna().unique()]
            if not values:
                continue
            masked = conn.execute(sa.text("SELECT sgz_mask_texts(CAST(:t AS text[]), CAST(:p AS text[]))"),
                                  {"t": values, "p": persons}).scalar()
            frame[col] = frame[col].map(dict(zip(values, masked))).astype(frame[col].dtype)
        frames[table] = frame
    out = Dataset.__new__(Dataset)
    out.frames = frames
    return out


def _scoped_select(t: schema.Table, scope: list[str] | None, masked: bool = False) -> sa.Select:
    table = relation(t.name, masked)
    query = sa.select(table)
    if scope is None:
        return query
    if t.station_column:
        return query.where(table.c[t.station_column].in_(scope))
    parent_name, local = schema.STATION_VIA[t.name]
    parent = SQL_TABLES[parent_name]
    return query.where(table.c[local].in_(sa.select(parent.c.code).where(parent.c.station_code.in_(scope))))


def _read(conn: sa.Connection, query: sa.Select) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


# -- writing ----------------------------------------------------------------

@dataclass
class TableChange:
    """What a write did (or would do) to one table."""

    table: str
    new: list[tuple] = field(default_factory=list)
    changed: list[tuple] = field(default_factory=list)
    unchanged: int = 0
    removed: list[tuple] = field(default_factory=list)  # in the database, not in the input
    pruned: bool = False

    @property
    def sheet(self) -> str:
        return schema.TABLE_BY_NAME[self.table].sheet

    @property
    def touched(self) -> bool:
        return bool(self.new or self.changed or (self.removed and self.pruned))


@dataclass
class WriteSummary:
    """Per table, what ``write_dataset`` found and did."""

    tables: dict[str, TableChange]
    dry_run: bool = False

    @property
    def changed_anything(self) -> bool:
        return any(c.touched for c in self.tables.values())

    def counts(self) -> pd.DataFrame:
        """One row per table: Chinese sheet name and the counts (for the CLI summary)."""
        rows = [{"工作表": c.sheet, "读入": len(c.new) + len(c.changed) + c.unchanged, "新增": len(c.new),
                 "修改": len(c.changed), "未变": c.unchanged,
                 ("已删除" if c.pruned else "数据库中有而本次没有"): len(c.removed)}
                for c in self.tables.values()]
        return pd.DataFrame(rows).fillna(0)


def write_dataset(engine: sa.Engine, ds: Dataset, *, prune: bool = False, dry_run: bool = False,
                  scope: list[str] | None = None) -> WriteSummary:
    """Write ``ds`` keyed by natural keys, in one transaction; validate it first.

    ``scope`` is the stations whose rows this input speaks for (default: the
    stations in ``ds`` and those below them). Rows of those stations that are
    in the database but not in ``ds`` are reported as removed, and deleted
    only when ``prune`` is set. With ``dry_run`` nothing is written.
    """
    validate(ds)
    with write_transaction(engine) as conn:
        existing_stations = _read(conn, sa.select(SQL_TABLES["stations"]))
        if scope is None:
            tree = Dataset({"stations": pd.concat([existing_stations, ds.stations], ignore_index=True)
                            .drop_duplicates("code", keep="last")})
            scope = tree.descendants(ds.stations["code"].tolist())
        lock_stations(conn, set(scope) | set(ds.stations["code"].dropna()))
        changes = {}
        for t in schema.TABLES:
            old = schema.coerce_frame(t, _read(conn, _scoped_select(t, scope)))
            changes[t.name] = _diff(t, old, ds[t.name])
            changes[t.name].pruned = prune
        if not dry_run:
            apply_changes(conn, ds.frames, changes, prune)
    return WriteSummary(changes, dry_run)


def apply_changes(conn: sa.Connection, frames: dict[str, pd.DataFrame], changes: dict[str, TableChange],
                  prune: bool) -> None:
    """Write what ``changes`` found: deletions first (children before parents) when pruning, then upserts."""
    if prune:
        for t in reversed(schema.TABLES):
            if t.name in changes:
                _delete(conn, t, changes[t.name].removed)
    for t in schema.TABLES:
        if t.name in changes:
            _upsert(conn, t, frames[t.name], changes[t.name])


# -- scoped reads for a writer (inside its transaction) ----------------------

IN_CHUNK = 500


def read_scope(conn: sa.Connection, scope: list[str] | set[str]) -> dict[str, pd.DataFrame]:
    """Every table's rows that belong to these stations (not those below them), coerced."""
    scope = sorted(scope)
    return {t.name: schema.coerce_frame(t, _read(conn, _scoped_select(t, scope))) for t in schema.TABLES}


def read_column(conn: sa.Connection, table: str, column: str) -> pd.DataFrame:
    """The distinct values of one column of ``table`` (all stations), as a one-column frame."""
    sql = SQL_TABLES[table]
    values = conn.execute(sa.select(sql.c[column]).distinct()).scalars().all()
    return pd.DataFrame({column: pd.Series(values, dtype="string")})


def read_by_values(conn: sa.Connection, table: str, column: str, values, *,
                   outside: list[str] | set[str] | None = None) -> pd.DataFrame:
    """Rows of ``table`` whose ``column`` is one of ``values`` (optionally only rows of stations not in ``outside``)."""
    t = schema.TABLE_BY_NAME[table]
    sql = SQL_TABLES[table]
    values = sorted({v for v in values if v is not None and not (isinstance(v, float) and v != v)}, key=str)
    parts = []
    for i in range(0, len(values), IN_CHUNK):
        query = sa.select(sql).where(sql.c[column].in_([_plain(v) for v in values[i:i + IN_CHUNK]]))
        if outside:
            query = query.where(sa.not_(_station_in(t, sorted(outside))))
        parts.append(_read(conn, query))
    if not parts:
        return schema.empty_frame(t)
    return schema.coerce_frame(t, pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0])


def _station_in(t: schema.Table, scope: list[str]):
    table = SQL_TABLES[t.name]
    if t.station_column:
        return table.c[t.station_column].in_(scope)
    parent_name, local = schema.STATION_VIA[t.name]
    parent = SQL_TABLES[parent_name]
    return table.c[local].in_(sa.select(parent.c.code).where(parent.c.station_code.in_(scope)))


def read_station_tree(conn: sa.Connection) -> pd.DataFrame:
    """Code and parent code of every station (two short columns: cheap even for a province)."""
    table = SQL_TABLES["stations"]
    return _read(conn, sa.select(table.c.code, table.c.parent_code))


def table_changes(t: schema.Table, old: pd.DataFrame, new: pd.DataFrame) -> TableChange:
    """Keys of ``new`` not in ``old``, keys in both whose rows differ, the count of equal rows, keys only in ``old``."""
    return _diff(t, old, new)


def _diff(t: schema.Table, old: pd.DataFrame, new: pd.DataFrame) -> TableChange:
    key = list(t.key)
    merged = old.merge(new, on=key, how="outer", suffixes=("_old", ""), indicator=True)
    change = TableChange(t.name)
    as_keys = lambda frame: list(frame[key].itertuples(index=False, name=None))  # noqa: E731
    change.new = as_keys(merged[merged["_merge"] == "right_only"])
    change.removed = as_keys(merged[merged["_merge"] == "left_only"])
    both = merged[merged["_merge"] == "both"]
    differs = pd.Series(False, index=both.index)
    for c in t.names:
        if c in key:
            continue
        a, b = both[f"{c}_old"], both[c]
        same = (a == b).fillna(False).astype(bool) | (a.isna() & b.isna())
        differs |= ~same
    change.changed = as_keys(both[differs])
    change.unchanged = int((~differs).sum())
    return change


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (dates as ``date``, NA as ``None``)."""
    out = frame.astype("object").where(frame.notna(), None)
    for c in frame.columns:
        if str(frame[c].dtype).startswith("datetime"):
            out[c] = [None if v is None else v.date() for v in out[c]]
    return out.to_dict("records")


def _upsert(conn: sa.Connection, t: schema.Table, frame: pd.DataFrame, change: TableChange) -> None:
    table = SQL_TABLES[t.name]
    if change.new:
        keys = pd.MultiIndex.from_tuples(change.new) if len(t.key) > 1 else pd.Index([k[0] for k in change.new])
        index = frame.set_index(list(t.key)).index
        rows = frame[index.isin(keys)]
        for chunk in _chunks(_records(rows)):
            conn.execute(table.insert(), chunk)
    if change.changed:
        keys = pd.MultiIndex.from_tuples(change.changed) if len(t.key) > 1 else pd.Index([k[0] for k in change.changed])
        index = frame.set_index(list(t.key)).index
        rows = _records(frame[index.isin(keys)])
        others = [c for c in t.names if c not in t.key]
        stmt = table.update().where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in t.key]).values(
            {c: sa.bindparam(f"v_{c}") for c in others})
        params = [{**{f"k_{k}": r[k] for k in t.key}, **{f"v_{c}": r[c] for c in others}} for r in rows]
        for chunk in _chunks(params):
            conn.execute(stmt, chunk)


def _delete(conn: sa.Connection, t: schema.Table, keys: list[tuple]) -> None:
    if not keys:
        return
    table = SQL_TABLES[t.name]
    stmt = table.delete().where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in t.key])
    params = [{f"k_{k}": _plain(v) for k, v in zip(t.key, key)} for key in keys]
    for chunk in _chunks(params):
        conn.execute(stmt, chunk)


def _plain(value):
    return value.date() if isinstance(value, pd.Timestamp) else value


def _chunks(items: list, size: int = 5000):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def drop_all(engine: sa.Engine) -> None:
    """Remove every table, Alembic's version table included (for tests)."""
    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
