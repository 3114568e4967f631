"""The audit trail: who imported, exported, ran reports or changed access, when, and on which stations.

``record`` adds one row to ``audit_log`` on the connection it is given, inside the transaction of what it
records: an import's row commits with the import's rows or not at all. The user is the database login
(PostgreSQL ``current_user``) or, on SQLite, the operating-system user. Under access control
(``sgz access apply``) ordinary roles may insert and read the table but never update or delete it.
``read`` gives the rows for ``sgz audit`` (``recent``: the latest few, for the home page), ``display`` shows
them in Chinese.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ..domain.labels import AUDIT_ACTIONS, AUDIT_HEADERS, YES_NO
from .db import AUDIT_LOG

STATION_SEP = "、"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def current_login(conn: sa.Connection) -> str:
    if conn.dialect.name == "postgresql":
        return conn.execute(sa.text("SELECT current_user")).scalar()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "未知用户"


def acting_login(conn: sa.Connection, login: str | None = None) -> str:
    """Who acted: ``login`` when the caller knows (a page's logged-in user), else the database login, else the
    operating-system user."""
    return login or current_login(conn)


def record(conn: sa.Connection, action: str, *, login: str | None = None, file_name: str | None = None, sha256: str | None = None,
           stations=(), new: int | None = None, changed: int | None = None, removed: int | None = None,
           dry_run: bool | None = None, masked: bool | None = None, detail: str | None = None) -> None:
    """One row of the audit trail, in ``conn``'s transaction.

    ``login``: who acted, when the caller knows better than the connection (the user logged in to a browser
    page of ``sgz dashboard`` on SQLite); default the database login, else the operating-system user. Under
    access control the database accepts only the connection's own login (``sgz_audit_insert``).
    """
    conn.execute(AUDIT_LOG.insert().values(
        at=dt.datetime.now(dt.UTC), login=acting_login(conn, login), action=action, file_name=file_name,
        sha256=sha256, stations=STATION_SEP.join(sorted(set(stations))) or None, new=new, changed=changed,
        removed=removed, dry_run=dry_run, masked=masked, detail=detail))


def read(engine: sa.Engine, since: dt.date | None = None, station: str | None = None) -> pd.DataFrame:
    """The audit rows (oldest first), from ``since`` on and touching ``station`` if given."""
    query = sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.id)
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        query = query.where(AUDIT_LOG.c.at >= (start if engine.dialect.name == "postgresql"
                                               else start.replace(tzinfo=None)))
    with engine.connect() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if station is not None and len(frame):
        mine = frame["stations"].fillna("").map(lambda s: station in s.split(STATION_SEP))
        frame = frame[mine.to_numpy(dtype=bool)]
    return frame.reset_index(drop=True)


def recent(engine: sa.Engine, limit: int = 8) -> pd.DataFrame:
    """The latest ``limit`` rows the connection may read (newest first)."""
    with engine.connect() as conn:
        result = conn.execute(sa.select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).limit(limit))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """Chinese headers and words; local time to the second; the SHA-256 shortened to 12 characters."""
    out = frame.drop(columns=["id"]).copy()
    at = pd.to_datetime(out["at"], utc=True)
    out["at"] = at.dt.tz_convert(None if at.empty else _local_zone()).dt.strftime("%Y-%m-%d %H:%M:%S")
    out["action"] = out["action"].map(lambda a: AUDIT_ACTIONS.get(a, a))
    for col in ("dry_run", "masked"):
        out[col] = out[col].map(lambda v: "" if v is None or v != v else YES_NO[bool(v)])
    for col in ("new", "changed", "removed"):
        out[col] = out[col].map(lambda v: "" if v is None or v != v else str(int(v)))
    out["sha256"] = out["sha256"].map(lambda v: v[:12] if isinstance(v, str) else "")
    out = out.fillna("")
    return out[list(AUDIT_HEADERS)].rename(columns=AUDIT_HEADERS)


def _local_zone():
    return dt.datetime.now().astimezone().tzinfo
