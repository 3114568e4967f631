"""Loading what a report needs from the database, masked unless the station keeps it to itself."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..domain.dataset import Dataset
from ..domain.dates import require_date
from ..domain.labels import PERIOD_KIND_LABELS
from ..errors import NotFoundError
from ..store import privacy, storage


def load(db_url: str | None, stations: str | list[str] | None = None, masked: bool = True) -> Dataset:
    """The stations' data (and everything below them), with personal data masked when ``masked``."""
    engine = storage.connect(db_url)
    try:
        return privacy.shared_dataset(engine, stations) if masked else storage.load_dataset(engine, stations)
    finally:
        engine.dispose()


LEDGER_ONLY = ("stations", "projects")  # a station with rows only here has no records yet


def no_records_note(ds: Dataset, who: str) -> str:
    """A Chinese notice when the loaded stations have nothing but station and project rows, else ""."""
    if any(len(frame) for name, frame in ds.frames.items() if name not in LEDGER_ONLY):
        return ""
    return (f"{who}还没有任何台账记录（服务对象、服务记录、个案、小组、前后测等均为空）：以下各部分都是空的，"
            "各项指标的实际值均为 0。导入台账后重新生成本报告即可。")


def load_index(db_url: str | None) -> Dataset:
    """Only the stations and projects (to find what to report on), without the ledgers."""
    import sqlalchemy as sa

    engine = storage.connect(db_url)
    try:
        with engine.connect() as conn:
            frames = {name: pd.read_sql(sa.select(storage.readable(conn, name)), conn)
                      for name in ("stations", "projects")}
    finally:
        engine.dispose()
    return Dataset(frames)


def as_date(value, what: str = "截至日期") -> dt.date:
    """A report date from a parameter (ISO or Chinese form)."""
    return require_date(value, what)


def station_row(ds: Dataset, code: str) -> pd.Series:
    rows = ds.stations[ds.stations["code"] == code]
    if rows.empty:
        raise NotFoundError(f"站点编码不存在：{code}")
    return rows.iloc[0]


def project_for(ds: Dataset, station: str, as_of: dt.date) -> pd.Series | None:
    """The station's project running on ``as_of`` (else the latest one started before it), or None."""
    projects = ds.projects[ds.projects["station_code"] == station]
    when = pd.Timestamp(as_of)
    running = projects[(projects["start"] <= when) & (projects["end"] >= when)]
    if not running.empty:
        return running.sort_values("start").iloc[-1]
    started = projects[projects["start"] <= when]
    return started.sort_values("start").iloc[-1] if not started.empty else None


def project_row(ds: Dataset, code: str) -> pd.Series:
    rows = ds.projects[ds.projects["code"] == code]
    if rows.empty:
        raise NotFoundError(f"项目编码不存在：{code}")
    return rows.iloc[0]


def township_of(ds: Dataset) -> pd.Series:
    """For every station code, the code of the township station it belongs to (itself for a township)."""
    stations = ds.stations.set_index("code")
    out = {}
    for code in stations.index:
        cur = code
        while cur in stations.index and stations.at[cur, "level"] == "村社区室" and pd.notna(stations.at[cur, "parent_code"]):
            cur = stations.at[cur, "parent_code"]
        out[code] = cur
    return pd.Series(out, dtype="string")


def district_stations(ds: Dataset, district: str) -> list[str]:
    """Township stations of a district: ``district`` is a 所属区县 name or the code of a station above them."""
    stations = ds.stations
    if district in set(stations["code"]):
        below = set(ds.descendants(district))
        chosen = stations[stations["code"].isin(below)]
    else:
        chosen = stations[stations["district"] == district]
    if chosen.empty:
        raise NotFoundError(f"区县或站点不存在：{district}")
    towns = chosen[chosen["level"] == "乡镇街道站"]
    return list(towns["code"])


def catalogue_title(name) -> str:
    """The Chinese title of the catalogue a project names (by id or title); the name itself if unknown."""
    from ..errors import NotFoundError
    from ..indicators import load_catalogue

    try:
        return load_catalogue(str(name)).title
    except NotFoundError:
        return str(name)


def fmt_date(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def period_bounds(as_of: dt.date, period: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The calendar month or quarter holding ``as_of``: (first day, ``as_of``, label such as 2025-10 / 2025Q4)."""
    kind = {"month": "M", "quarter": "Q", PERIOD_KIND_LABELS["month"]: "M", PERIOD_KIND_LABELS["quarter"]: "Q"}.get(period)
    if kind is None:
        from ..errors import ConfigError
        raise ConfigError(f"督导周期「{period}」无效，应为 month（月）或 quarter（季度）")
    p = pd.Period(pd.Timestamp(as_of), freq=kind)
    label = str(p) if kind == "M" else f"{p.year}Q{p.quarter}"
    return p.start_time.normalize(), pd.Timestamp(as_of), label
