"""Where a question is asked: stations and their tree, districts, and each station's current project.

One home for "which project is current": ``current_projects`` (the project running on the date, else the
latest one started before it). Everything here reads a ``Dataset``'s station and project tables only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..errors import NotFoundError

TOWNSHIP = "乡镇街道站"
VILLAGE = "村社区室"


def station_row(ds, code: str) -> pd.Series:
    """The station ``code``; a Chinese ``NotFoundError`` when there is none."""
    rows = ds.stations[ds.stations["code"] == code]
    if rows.empty:
        raise NotFoundError(f"站点编码不存在：{code}")
    return rows.iloc[0]


def project_row(ds, code: str) -> pd.Series:
    """The project ``code``; a Chinese ``NotFoundError`` when there is none."""
    rows = ds.projects[ds.projects["code"] == code]
    if rows.empty:
        raise NotFoundError(f"项目编码不存在：{code}")
    return rows.iloc[0]


def current_projects(projects: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One row per station that has one: its project running on ``as_of`` (the latest started when several
    run), else its latest project started before ``as_of``. Stations whose projects all start later have none."""
    when = pd.Timestamp(as_of)
    started = projects[projects["start"] <= when]
    if started.empty:
        return started.reset_index(drop=True)
    running = (started["end"] >= when).astype(int)
    ordered = started.assign(_running=running).sort_values(["station_code", "_running", "start", "code"])
    return ordered.groupby("station_code", sort=True).tail(1).drop(columns="_running").reset_index(drop=True)


def current_project(ds, station: str, as_of: dt.date) -> pd.Series | None:
    """The station's current project on ``as_of`` (``current_projects``), or None."""
    mine = current_projects(ds.projects[ds.projects["station_code"] == station], as_of)
    return mine.iloc[0] if len(mine) else None


def townships(ds, district: str | None = None) -> pd.DataFrame:
    """The township stations (of one 所属区县 when given), in code order."""
    st = ds.stations[ds.stations["level"] == TOWNSHIP]
    if district:
        st = st[st["district"] == district]
    return st.sort_values("code")


def districts(ds) -> list[str]:
    """Every 所属区县 named, sorted."""
    return sorted(ds.stations["district"].dropna().unique().tolist())


def district_stations(ds, district: str) -> list[str]:
    """Township stations of a district: ``district`` is a 所属区县 name or the code of a station above them."""
    stations = ds.stations
    if district in set(stations["code"]):
        below = set(ds.descendants(district))
        chosen = stations[stations["code"].isin(below)]
    else:
        chosen = stations[stations["district"] == district]
    if chosen.empty:
        raise NotFoundError(f"区县或站点不存在：{district}")
    return list(chosen.loc[chosen["level"] == TOWNSHIP, "code"])


def district_name(ds, district: str) -> str:
    """The 所属区县 name of ``district`` (a name, or the code of a station: its district)."""
    if district in set(ds.stations["code"]):
        return str(ds.stations.set_index("code").at[district, "district"])
    return district


def township_of(ds) -> pd.Series:
    """For every station code, the code of the township station it belongs to (itself for a township)."""
    stations = ds.stations.set_index("code")
    out = {}
    for code in stations.index:
        cur = code
        while cur in stations.index and stations.at[cur, "level"] == VILLAGE and pd.notna(stations.at[cur, "parent_code"]):
            cur = stations.at[cur, "parent_code"]
        out[code] = cur
    return pd.Series(out, dtype="string")


STATION_SUFFIXES = ("社会工作服务站", "社工站")


def short_station_names(names) -> list[str]:
    """Station names without the suffix every station shares (东湖街道社会工作服务站 → 东湖街道), for chart axes;
    a name whose short form another name also has keeps its full form."""
    names = [str(n) for n in names]
    short = []
    for name in names:
        cut = next((name[: -len(s)] for s in STATION_SUFFIXES if name.endswith(s) and len(name) > len(s)), name)
        short.append(cut)
    return [s if short.count(s) == 1 or n == s else n for s, n in zip(short, names)]
