"""The photo index in the database (table ``photo_files``): what a scan knew, writing a scan, reading it back."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..photos.scan import INDEX_COLUMNS, FolderScan
from .db import PHOTO_FILES, connected

__all__ = ["INDEX_COLUMNS", "known_files", "write_scan", "load_index", "tidy_index", "thumbnails"]


def known_files(engine: sa.Engine, station: str) -> dict[str, tuple[int, float]]:
    """Path → (size, mtime) of the files indexed for ``station``."""
    t = PHOTO_FILES
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.path, t.c.size, t.c.mtime).where(t.c.station_code == station))
        return {p: (int(s), float(m)) for p, s, m in rows}


def write_scan(engine: sa.Engine, station: str, scan: FolderScan) -> None:
    """Replace the rows of changed and vanished files and add the new ones, in one transaction."""
    t = PHOTO_FILES
    stale = [r["path"] for r in scan.rows] + scan.removed
    with engine.begin() as conn:
        for i in range(0, len(stale), 500):
            conn.execute(t.delete().where(t.c.station_code == station, t.c.path.in_(stale[i:i + 500])))
        rows = [{**r, "station_code": station} for r in scan.rows]
        for i in range(0, len(rows), 1000):
            conn.execute(t.insert(), rows[i:i + 1000])


def load_index(engine: sa.Engine | sa.Connection, stations: list[str] | None = None) -> pd.DataFrame:
    """The index (without thumbnails), for the given stations or all (on an engine, or a writer's connection)."""
    t = PHOTO_FILES
    query = sa.select(*[t.c[c] for c in INDEX_COLUMNS])
    if stations is not None:
        query = query.where(t.c.station_code.in_(list(stations)))
    with connected(engine) as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.fetchall(), columns=INDEX_COLUMNS)
    return tidy_index(frame)


CONTENT_COLUMNS = ["station_code", "path", "sha256", "phash", "readable"]


def content_index(engine: sa.Engine) -> pd.DataFrame:
    """Every indexed file's folder, path and content hashes: the compact index re-use is looked for in."""
    t = PHOTO_FILES
    with connected(engine) as conn:
        rows = conn.execute(sa.select(*[t.c[c] for c in CONTENT_COLUMNS])).fetchall()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=CONTENT_COLUMNS)  # tuples: pandas probes Row objects slowly
    frame["readable"] = frame["readable"].fillna(False).astype(bool)
    return frame


def tidy_index(frame: pd.DataFrame) -> pd.DataFrame:
    """The index with its dtypes fixed (also for frames built by hand in tests)."""
    frame = frame.reindex(columns=INDEX_COLUMNS)
    frame["taken_at"] = pd.to_datetime(frame["taken_at"])
    for c in ("latitude", "longitude"):
        frame[c] = pd.to_numeric(frame[c]).astype(float)
    frame["readable"] = frame["readable"].fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def thumbnails(engine: sa.Engine, keys: list[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
    """(station, path) → thumbnail JPEG bytes of the given files."""
    t = PHOTO_FILES
    out = {}
    by_station: dict[str, list[str]] = {}
    for station, path in keys:
        by_station.setdefault(station, []).append(path)
    with engine.connect() as conn:
        for station, paths in by_station.items():
            rows = conn.execute(sa.select(t.c.path, t.c.thumbnail).where(
                t.c.station_code == station, t.c.path.in_(paths)))
            out.update({(station, p): b for p, b in rows if b})
    return out
