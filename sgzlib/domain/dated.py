"""The dated ledger tables: each row's key as text, and the first-seen date of each row (``store.first_seen``
writes and reads them in the database; here they are matched with a ``Dataset``'s rows, for the 补录 check).

A ``Dataset`` may carry a ``first_seen`` frame (``COLUMNS``: record_table, record_key, station_code,
first_seen, record_date — the row's own date as last written).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema

# The dated ledger tables and the column holding each row's own date.
DATED = {"services": "date", "case_sessions": "date", "group_sessions": "date", "assessments": "date",
         "case_records": "date", "charity_aid": "date", "charity_funds": "date", "expenses": "date",
         "measurements": "date"}
COLUMNS = ["record_table", "record_key", "station_code", "first_seen", "record_date"]


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


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its columns and dtypes fixed (also for frames built by hand, as the demo's)."""
    frame = frame.reindex(columns=COLUMNS).reset_index(drop=True)
    for c in ("first_seen", "record_date"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[s]")
    for c in ("record_table", "record_key", "station_code"):
        frame[c] = frame[c].astype(object)
    return frame
