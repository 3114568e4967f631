"""When each dated ledger row was first seen in the database (table ``first_seen``).

A row of a dated ledger table (服务记录, 个案服务, 小组活动, 需求评估 …) gets one ``first_seen`` row in the
transaction that adds it: by ``sgz import`` the day of the import, by ``write_dataset`` the date the
dataset carries for it (the demo's ledgers were "entered" a few days after each service) or else today.
A ``first_seen`` row is never changed: a row changed later, or deleted and imported again, keeps the date
it was first seen. Rows already in the database when the table was made (migration 0005) have none, and
the 补录 check (``sgzlib.analysis.quality``) says nothing about them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from .db import FIRST_SEEN

# The dated ledger tables and the column holding each row's own date.
DATED = {"services": "date", "case_sessions": "date", "group_sessions": "date", "assessments": "date",
         "case_records": "date", "charity_aid": "date", "charity_funds": "date", "expenses": "date",
         "measurements": "date"}
COLUMNS = ["record_table", "record_key", "station_code", "first_seen"]
CHUNK = 500


def record_keys(table: str, frame: pd.DataFrame) -> pd.Series:
    """Each row's natural key as text, parts joined by "/" (dates as 2025-03-05): the ``record_key``."""
    parts = []
    for name in schema.TABLE_BY_NAME[table].key:
        values = frame[name]
        dated = str(values.dtype).startswith("datetime")
        text = values.dt.strftime("%Y-%m-%d") if dated else values.astype("string")
        parts.append(text.fillna("").astype(str))
    out = parts[0]
    for p in parts[1:]:
        out = out + "/" + p
    return out.reset_index(drop=True)


def new_rows(frames: dict[str, pd.DataFrame], changes: dict, seen_on: dt.date,
             station_of: Callable[[str], pd.Series], given: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``first_seen`` rows of the rows ``changes`` adds (``TableChange.new``) to the dated tables.

    ``station_of(table)``: the station code of every row of ``frames[table]``. ``given``: dates known
    already (``record_table``, ``record_key``, ``first_seen``), used before ``seen_on``.
    """
    out = []
    for table in DATED:
        change = changes.get(table)
        if change is None or not change.new or table not in frames:
            continue
        frame = frames[table].reset_index(drop=True)
        keys = record_keys(table, frame)
        new = set(record_keys(table, pd.DataFrame(change.new, columns=list(schema.TABLE_BY_NAME[table].key))))
        take = keys.isin(new).to_numpy()
        stations = station_of(table).reset_index(drop=True)
        out.append(pd.DataFrame({"record_table": table, "record_key": keys[take].to_numpy(),
                                 "station_code": stations[take].astype(object).to_numpy(),
                                 "first_seen": pd.Timestamp(seen_on)}))
    rows = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)
    if given is not None and len(given) and len(rows):
        known = given.drop_duplicates(["record_table", "record_key"]).set_index(["record_table", "record_key"])
        dates = known["first_seen"].reindex(pd.MultiIndex.from_frame(rows[["record_table", "record_key"]]))
        rows["first_seen"] = pd.to_datetime(dates.to_numpy()).where(dates.notna().to_numpy(), rows["first_seen"])
    return rows.drop_duplicates(["record_table", "record_key"])


def write(conn: sa.Connection, rows: pd.DataFrame) -> None:
    """Insert the rows whose record has no ``first_seen`` row yet (an earlier date is never replaced)."""
    t = FIRST_SEEN
    for table, part in rows.groupby("record_table", sort=False):
        keys = part["record_key"].tolist()
        seen = set()
        for i in range(0, len(keys), CHUNK):
            seen |= set(conn.execute(sa.select(t.c.record_key).where(
                t.c.record_table == table, t.c.record_key.in_(keys[i:i + CHUNK]))).scalars())
        fresh = part[~part["record_key"].isin(seen)]
        records = [{"record_table": table, "record_key": k, "station_code": None if pd.isna(s) else s,
                    "first_seen": pd.Timestamp(d).date()}
                   for k, s, d in zip(fresh["record_key"], fresh["station_code"], fresh["first_seen"])]
        for i in range(0, len(records), 5000):
            conn.execute(t.insert(), records[i:i + 5000])


def load(engine: sa.Engine, stations: list[str] | None = None) -> pd.DataFrame:
    """The ``first_seen`` rows (of the given stations, or all), ``first_seen`` as datetimes."""
    t = FIRST_SEEN
    query = sa.select(t.c.record_table, t.c.record_key, t.c.station_code, t.c.first_seen)
    if stations is not None:
        query = query.where(t.c.station_code.in_(list(stations)))
    with engine.connect() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.fetchall(), columns=COLUMNS)
    return tidy(frame)


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its columns and dtypes fixed (also for frames built by hand, as the demo's)."""
    frame = frame.reindex(columns=COLUMNS).reset_index(drop=True)
    frame["first_seen"] = pd.to_datetime(frame["first_seen"]).astype("datetime64[s]")
    for c in ("record_table", "record_key", "station_code"):
        frame[c] = frame[c].astype(object)
    return frame


def dated_records(ds) -> pd.DataFrame:
    """Every row of the dated tables with its date, station and first-seen date (NaT when unknown).

    Columns: record_table, record_key, station_code, date, first_seen.
    """
    seen = ds.frames.get("first_seen")
    parts = []
    for table, column in DATED.items():
        frame = ds[table]
        if frame.empty:
            continue
        parts.append(pd.DataFrame({"record_table": table, "record_key": record_keys(table, frame).to_numpy(),
                                   "station_code": ds.station_column(table).astype(object).to_numpy(),
                                   "date": frame[column].to_numpy()}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["record_table", "record_key", "station_code", "date"])
    if seen is None or seen.empty:
        return out.assign(first_seen=pd.Series(pd.NaT, index=out.index, dtype="datetime64[s]"))
    known = seen.drop_duplicates(["record_table", "record_key"]).set_index(["record_table", "record_key"])
    out["first_seen"] = known["first_seen"].reindex(
        pd.MultiIndex.from_frame(out[["record_table", "record_key"]])).to_numpy()
    return out
