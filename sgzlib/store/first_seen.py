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

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from .db import FIRST_SEEN

# The dated ledger tables and the column holding each row's own date.
DATED = {"services": "date", "case_sessions": "date", "group_sessions": "date", "assessments": "date",
         "case_records": "date", "charity_aid": "date", "charity_funds": "date", "expenses": "date",
         "measurements": "date"}
COLUMNS = ["record_table", "record_key", "station_code", "first_seen", "record_date"]
CHUNK = 500


def record_keys(table: str, frame: pd.DataFrame) -> pd.Series:
    """Each row's natural key as text, parts joined by "/" (dates as 2025-03-05): the ``record_key``."""
    parts = []
    for name in schema.TABLE_BY_NAME[table].key:
        values = frame[name]
        if str(values.dtype).startswith("datetime"):
            day = values.to_numpy(dtype="datetime64[D]")
            text = np.where(np.isnat(day), "", np.datetime_as_string(day, unit="D")).astype(object)
        else:
            text = values.astype("string").fillna("").to_numpy(dtype=object)
        parts.append(text)
    out = parts[0]
    for p in parts[1:]:
        out = out + "/" + p  # object arrays: Python string concatenation, element by element
    return pd.Series(out, dtype=object)


def new_rows(frames: dict[str, pd.DataFrame], changes: dict, seen_on: dt.date,
             station_of: Callable[[str], pd.Series], given: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``first_seen`` rows of the rows ``changes`` adds (``TableChange.new``) to the dated tables.

    ``station_of(table)``: the station code of every row of ``frames[table]``. ``given``: dates known
    already (``record_table``, ``record_key``, ``first_seen``), used before ``seen_on``.
    """
    out = []
    for table, column in DATED.items():
        change = changes.get(table)
        if change is None or not change.new or table not in frames:
            continue
        frame = frames[table].reset_index(drop=True)
        keys = record_keys(table, frame)
        new = set(_change_keys(table, change.new))
        take = keys.isin(new).to_numpy()
        stations = station_of(table).reset_index(drop=True)
        out.append(pd.DataFrame({"record_table": table, "record_key": keys[take].to_numpy(),
                                 "station_code": stations[take].astype(object).to_numpy(),
                                 "first_seen": pd.Timestamp(seen_on),
                                 "record_date": frame.loc[take, column].to_numpy(dtype="datetime64[s]")}))
    rows = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)
    if given is not None and len(given) and len(rows):
        known = given.drop_duplicates(["record_table", "record_key"]).set_index(["record_table", "record_key"])
        dates = known["first_seen"].reindex(pd.MultiIndex.from_frame(rows[["record_table", "record_key"]]))
        rows["first_seen"] = pd.to_datetime(dates.to_numpy()).where(dates.notna().to_numpy(), rows["first_seen"])
    return rows.drop_duplicates(["record_table", "record_key"])


def changed_dates(frames: dict[str, pd.DataFrame], changes: dict) -> pd.DataFrame:
    """The current dates of the dated rows ``changes`` changed (``TableChange.changed``): their
    ``first_seen`` row keeps its date and follows the row's own."""
    out = []
    for table, column in DATED.items():
        change = changes.get(table)
        if change is None or not change.changed or table not in frames:
            continue
        frame = frames[table].reset_index(drop=True)
        keys = record_keys(table, frame)
        take = keys.isin(set(_change_keys(table, change.changed))).to_numpy()
        out.append(pd.DataFrame({"record_table": table, "record_key": keys[take].to_numpy(),
                                 "record_date": frame.loc[take, column].to_numpy(dtype="datetime64[s]")}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["record_table", "record_key",
                                                                             "record_date"])


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


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its columns and dtypes fixed (also for frames built by hand, as the demo's)."""
    frame = frame.reindex(columns=COLUMNS).reset_index(drop=True)
    for c in ("first_seen", "record_date"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[s]")
    for c in ("record_table", "record_key", "station_code"):
        frame[c] = frame[c].astype(object)
    return frame


def dated_records(ds) -> pd.DataFrame:
    """Every row of the dated tables with its date, station and first-seen date (NaT when unknown).

    Columns: record_table, record_key, station_code, date, first_seen.
    """
    return _records(ds, seen_only=False)


def late_records(ds, days: int) -> pd.DataFrame:
    """``dated_records`` of the rows first seen more than ``days`` days after their own date (the 补录 check).

    The ``first_seen`` rows name their record's date as last written (``record_date``): only those more than
    ``days`` days apart (and any without it) are looked up among the dataset's rows, whose own dates decide.
    """
    seen = ds.frames.get("first_seen")
    if seen is None or seen.empty:
        return _records(ds, seen_only=True, only=seen)
    recorded = seen["record_date"].to_numpy(dtype="datetime64[D]") if "record_date" in seen else \
        np.full(len(seen), np.datetime64("NaT", "D"))
    gap = (seen["first_seen"].to_numpy(dtype="datetime64[D]") - recorded).astype("int64")
    maybe = np.isnat(recorded) | (gap > days)
    rows = _records(ds, seen_only=True, only=seen[maybe])
    lag = (rows["first_seen"].to_numpy(dtype="datetime64[D]") - rows["date"].to_numpy(dtype="datetime64[D]"))
    return rows[lag.astype("int64") > days].reset_index(drop=True)


def _records(ds, seen_only: bool, only: pd.DataFrame | None = None) -> pd.DataFrame:
    """The dated rows with their first-seen date (``only``: these ``first_seen`` rows, default the dataset's)."""
    seen = only if only is not None else ds.frames.get("first_seen")
    seen = seen if seen is not None else pd.DataFrame(columns=COLUMNS)
    by_table = pd.Series(np.arange(len(seen))).groupby(seen["record_table"].to_numpy(dtype=object)).indices \
        if len(seen) else {}
    seen_keys = seen["record_key"].to_numpy(dtype=object)
    seen_when = seen["first_seen"].to_numpy(dtype="datetime64[s]")
    parts = []
    for table, column in DATED.items():
        frame = ds[table]
        rows = by_table.get(table, np.array([], dtype=int))
        if frame.empty or (seen_only and not len(rows)):
            continue
        keys = _table_keys(table, frame, seen_keys[rows] if seen_only else None)
        pos = _positions(seen_keys[rows], keys)
        take = pos >= 0 if seen_only else np.ones(len(keys), dtype=bool)
        when = seen_when[rows]
        found = pos[take]
        parts.append(pd.DataFrame({
            "record_table": table, "record_key": keys[take],
            "station_code": ds.station_column(table).to_numpy(dtype=object)[take],
            "date": frame[column].to_numpy(dtype="datetime64[s]")[take],
            "first_seen": np.where(found >= 0, when[np.maximum(found, 0)] if len(when) else np.datetime64("NaT", "s"),
                                   np.datetime64("NaT", "s"))}))
    if not parts:
        return pd.DataFrame({"record_table": pd.Series(dtype=object), "record_key": pd.Series(dtype=object),
                             "station_code": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[s]"),
                             "first_seen": pd.Series(dtype="datetime64[s]")})
    return pd.concat(parts, ignore_index=True)


def _table_keys(table: str, frame: pd.DataFrame, wanted: np.ndarray | None) -> np.ndarray:
    """``record_keys`` of the table's rows; with ``wanted`` (a few keys), rows of other keys may get None
    instead (the keys of a one-column key are the column itself: nothing to build)."""
    key = schema.TABLE_BY_NAME[table].key
    if wanted is not None and len(key) == 1 and str(frame[key[0]].dtype) in ("string", "str", "object"):
        return frame[key[0]].to_numpy(dtype=object)
    return record_keys(table, frame).to_numpy(dtype=object)


def _positions(known: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each of ``keys``, its position in ``known`` (-1 if absent; ``known`` holds each key once).

    A join on Python's string hashes (computed once per string and cached on it): the known hashes sorted,
    each key's found by binary search and its text compared; the rare key whose hash another text shares
    is looked up in a dictionary.
    """
    out = np.full(len(keys), -1)
    if not len(known) or not len(keys):
        return out
    hk = np.fromiter(map(hash, known), dtype=np.int64, count=len(known))
    order = np.argsort(hk, kind="stable")
    sorted_hashes = hk[order]
    hq = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
    at = np.minimum(np.searchsorted(sorted_hashes, hq), len(known) - 1)
    hit = sorted_hashes[at] == hq
    cand = order[at]
    same = hit & (known[cand] == keys)
    out[same] = cand[same]
    clash = hit & ~same
    if clash.any():  # two texts with one hash: look them up exactly
        where = {k: i for i, k in enumerate(known)}
        out[clash] = [where.get(k, -1) for k in keys[clash]]
    return out
