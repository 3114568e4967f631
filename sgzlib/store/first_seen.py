"""When each dated ledger row was first seen in the database (table ``first_seen``).

A row of a dated ledger table (服务记录, 个案服务, 小组活动, 需求评估 …) gets one ``first_seen`` row in the
transaction that adds it: by ``sgz import`` the day of the import, by ``write_dataset`` the date the
dataset carries for it (the demo's ledgers were "entered" a few days after each service) or else today.
A ``first_seen`` row is never changed: a row changed later, or deleted and imported again, keeps the date
it was first seen. Rows already in the database when the table was made (migration 0006) have none, and
the 补录 check (``sgzlib.analysis.quality``) says nothing about them. The rows' keys and the check's join are
``sgzlib.domain.dated``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from ..domain.dated import COLUMNS, DATED, record_keys, tidy
from .db import FIRST_SEEN

CHUNK = 500


def new_rows(frames: dict[str, pd.DataFrame], changes: dict, seen_on: dt.date,
             station_of: Callable[[str], pd.Series], given: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``first_seen`` rows of the rows ``changes`` adds (``TableChange.new``) to the dated tables.

    ``station_of(table)``: the station code of every row of ``frames[table]``. ``given``: dates known
    already (``record_table``, ``record_key``, ``first_seen``), used before ``seen_on``.
    """
    out = []
    for table, take, keys, dates in _dated(frames, changes, "new"):
        stations = station_of(table).reset_index(drop=True)
        out.append(pd.DataFrame({"record_table": table, "record_key": keys, "record_date": dates,
                                 "station_code": stations[take].astype(object).to_numpy(),
                                 "first_seen": pd.Timestamp(seen_on)})[COLUMNS])
    rows = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)
    if given is not None and len(given) and len(rows):
        known = given.drop_duplicates(["record_table", "record_key"]).set_index(["record_table", "record_key"])
        dates = known["first_seen"].reindex(pd.MultiIndex.from_frame(rows[["record_table", "record_key"]]))
        rows["first_seen"] = pd.to_datetime(dates.to_numpy()).where(dates.notna().to_numpy(), rows["first_seen"])
    return rows.drop_duplicates(["record_table", "record_key"])


def changed_dates(frames: dict[str, pd.DataFrame], changes: dict) -> pd.DataFrame:
    """The current dates of the dated rows ``changes`` changed (``TableChange.changed``): their
    ``first_seen`` row keeps its date and follows the row's own."""
    out = [pd.DataFrame({"record_table": table, "record_key": keys, "record_date": dates})
           for table, _, keys, dates in _dated(frames, changes, "changed")]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["record_table", "record_key",
                                                                             "record_date"])


def _dated(frames: dict[str, pd.DataFrame], changes: dict, kind: str):
    """For each dated table whose ``TableChange`` has ``kind`` rows (``new`` or ``changed``): the table, the
    mask of those rows in ``frames[table]``, their record keys and their own dates."""
    for table, column in DATED.items():
        change = changes.get(table)
        if change is None or not getattr(change, kind) or table not in frames:
            continue
        frame = frames[table].reset_index(drop=True)
        keys = record_keys(table, frame)
        take = keys.isin(set(_change_keys(table, getattr(change, kind)))).to_numpy()
        yield table, take, keys[take].to_numpy(), frame.loc[take, column].to_numpy(dtype="datetime64[s]")


def _change_keys(table: str, keys: list[tuple]) -> pd.Series:
    return record_keys(table, pd.DataFrame(keys, columns=list(schema.TABLE_BY_NAME[table].key)))


def _day(value):
    return None if pd.isna(value) else pd.Timestamp(value).date()


def write(conn: sa.Connection, rows: pd.DataFrame, changed: pd.DataFrame | None = None) -> None:
    """Insert the rows whose record has no ``first_seen`` row yet (an earlier date is never replaced), and
    bring the ``record_date`` of ``changed`` rows up to date."""
    t = FIRST_SEEN
    for table, part in rows.groupby("record_table", sort=False):
        keys = part["record_key"].tolist()
        seen = set()
        for i in range(0, len(keys), CHUNK):
            seen |= set(conn.execute(sa.select(t.c.record_key).where(
                t.c.record_table == table, t.c.record_key.in_(keys[i:i + CHUNK]))).scalars())
        fresh = part[~part["record_key"].isin(seen)]
        records = [{"record_table": table, "record_key": k, "station_code": None if pd.isna(s) else s,
                    "first_seen": _day(d), "record_date": _day(r)}
                   for k, s, d, r in zip(fresh["record_key"], fresh["station_code"], fresh["first_seen"],
                                         fresh["record_date"])]
        for i in range(0, len(records), 5000):
            conn.execute(t.insert(), records[i:i + 5000])
    if changed is not None and len(changed):
        stmt = t.update().where(t.c.record_table == sa.bindparam("k_table"), t.c.record_key == sa.bindparam("k_key")
                                ).values(record_date=sa.bindparam("v_date"))
        params = [{"k_table": a, "k_key": k, "v_date": _day(d)}
                  for a, k, d in zip(changed["record_table"], changed["record_key"], changed["record_date"])]
        for i in range(0, len(params), 5000):
            conn.execute(stmt, params[i:i + 5000])


def load(engine: sa.Engine, stations: list[str] | None = None) -> pd.DataFrame:
    """The ``first_seen`` rows (of the given stations, or all), ``first_seen`` as datetimes."""
    t = FIRST_SEEN
    query = sa.select(t.c.record_table, t.c.record_key, t.c.station_code, t.c.first_seen, t.c.record_date)
    if stations is not None:
        query = query.where(t.c.station_code.in_(list(stations)))
    with engine.connect() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.fetchall(), columns=COLUMNS)
    return tidy(frame)


