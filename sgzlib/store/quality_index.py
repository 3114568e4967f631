"""What the forecast and the data-quality checks read from the whole database, beyond a workbench's scope.

A station's report opens that station only; its forecast learns from the other stations' past projects of
the same catalogue, and its quality checks compare it with every station. Both read the database here, as
little as they need and as the user may read it (``readable``: under access control a masked user reads
masked views, and only the stations in their scope):

- ``quality_index``: the compact ``QualityIndex`` — people's identity keys (hashed here; none for a masked
  user, whose names and numbers are masked), staff, the sessions that name a worker, and service records
  counted per station and month by the database;
- ``history``: the stations whose past projects a forecast learns from, as a ``Dataset``.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..analysis.quality import build_index
from ..domain.dataset import Dataset
from ..indicators.forecast import past_projects, resolved_projects
from . import access, storage

# table → the columns the index reads (all rows)
INDEX_COLUMNS = {
    "stations": None, "projects": None,
    "beneficiaries": ("code", "name", "birth_date", "phone", "id_number", "station_code"),
    "staff": ("code", "name", "station_code"),
    "cases": ("code", "station_code", "worker_code"), "groups": ("code", "station_code", "leader_code"),
    "case_sessions": ("case_code", "seq", "date", "minutes"),
    "group_sessions": ("group_code", "seq", "date", "attendance"),
}


def quality_index(engine: sa.Engine, as_of):
    """The ``QualityIndex`` of every station the user may read, on ``as_of``."""
    with engine.connect() as conn:
        me = access.session(conn)
        masked = bool(me and me.masked)
        frames = {}
        for name, columns in INDEX_COLUMNS.items():
            if masked and name == "beneficiaries":
                continue  # masked names and numbers identify nobody: no keys for this user
            table = storage.readable(conn, name)
            chosen = [table.c[c] for c in columns] if columns else [table]
            frames[name] = pd.read_sql(sa.select(*chosen), conn)
        if masked:
            frames["staff"] = frames["staff"].assign(name=None)  # masked names: staff are told apart by code only
        counts = _service_counts(conn, storage.readable(conn, "services"))
    return build_index(Dataset(frames), as_of, service_counts=counts)


def _service_counts(conn: sa.Connection, services) -> pd.DataFrame:
    year = sa.extract("year", services.c.date)
    month = sa.extract("month", services.c.date)
    rows = conn.execute(sa.select(services.c.station_code, year, month, sa.func.count())
                        .group_by(services.c.station_code, year, month)).all()
    return pd.DataFrame({"station_code": [r[0] for r in rows],
                         "month": [f"{int(r[1]):04d}-{int(r[2]):02d}" for r in rows],
                         "n": [int(r[3]) for r in rows]})


def history(engine: sa.Engine, as_of, running: pd.DataFrame) -> Dataset | None:
    """The stations (and everything below them) whose past projects a forecast of ``running`` learns from
    (``indicators.forecast.past_projects``); ``None`` when there are none."""
    if running.empty:
        return None
    with engine.connect() as conn:
        index = Dataset({name: pd.read_sql(sa.select(storage.readable(conn, name)), conn)
                         for name in ("stations", "projects")})
    past = past_projects(resolved_projects(index), as_of, running)
    if past.empty:
        return None
    return storage.load_dataset(engine, sorted(set(past["station_code"])))

