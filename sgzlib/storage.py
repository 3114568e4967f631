"""Keeping a ``Dataset`` in a database: SQLite by default, PostgreSQL by URL.

The schema is created and upgraded by the Alembic migrations shipped in
``sgzlib/migrations``. Writes are keyed by the natural keys of ``schema``:
``write_dataset`` compares what is there with what comes in and reports, per
table, the rows that are new, changed, unchanged and no longer present, all
in one transaction. Reads return DataFrames for the analysis layers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from . import schema
from .dataset import Dataset
from .db import SQL_TABLES, metadata
from .errors import ConfigError

DEFAULT_URL = "sqlite:///data/sgz.db"
ENV_VAR = "SGZ_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``$SGZ_DATABASE_URL``, else ``data/sgz.db``."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def connect(url: str | None = None, upgrade: bool = True) -> sa.Engine:
    """An engine for the database, with the schema brought up to date."""
    url = database_url(url)
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"数据库地址无效：{url}（{exc}）") from exc
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    if upgrade:
        upgrade_schema(engine)
    return engine


def upgrade_schema(engine: sa.Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


# -- reading ----------------------------------------------------------------

def load_dataset(engine: sa.Engine, stations: str | list[str] | None = None) -> Dataset:
    """The whole database, or the given stations and everything below them, as a ``Dataset``."""
    with engine.connect() as conn:
        frames = {"stations": _read(conn, sa.select(SQL_TABLES["stations"]))}
        scope = None
        if stations is not None:
            scope = Dataset({"stations": frames["stations"]}).descendants(stations)
            known = set(frames["stations"]["code"])
            unknown = [s for s in ([stations] if isinstance(stations, str) else stations) if s not in known]
            if unknown:
                from .errors import NotFoundError
                raise NotFoundError(f"站点编码不存在：{'、'.join(unknown)}")
        for t in schema.TABLES:
            if t.name == "stations":
                if scope is not None:
                    frames["stations"] = frames["stations"][frames["stations"]["code"].isin(scope)]
                continue
            frames[t.name] = _read(conn, _scoped_select(t, scope))
    ds = Dataset(frames)
    from .photos.store import load_index

    ds.frames["photo_files"] = load_index(engine, scope)
    return ds


def _scoped_select(t: schema.Table, scope: list[str] | None) -> sa.Select:
    table = SQL_TABLES[t.name]
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
    ds.validate()
    with engine.begin() as conn:
        existing_stations = _read(conn, sa.select(SQL_TABLES["stations"]))
        if scope is None:
            tree = Dataset({"stations": pd.concat([existing_stations, ds.stations], ignore_index=True)
                            .drop_duplicates("code", keep="last")})
            scope = tree.descendants(ds.stations["code"].tolist())
        changes = {}
        for t in schema.TABLES:
            old = schema.coerce_frame(t, _read(conn, _scoped_select(t, scope)))
            changes[t.name] = _diff(t, old, ds[t.name])
            changes[t.name].pruned = prune
        if not dry_run:
            for t in reversed(schema.TABLES):
                if prune:
                    _delete(conn, t, changes[t.name].removed)
            for t in schema.TABLES:
                _upsert(conn, t, ds[t.name], changes[t.name])
    return WriteSummary(changes, dry_run)


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
