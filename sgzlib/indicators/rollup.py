"""Rollups of indicator statuses up the station tree: station, county hub, district."""

from __future__ import annotations

import pandas as pd

from ..domain.labels import BEHIND, MET, MISSED, NOT_STARTED, ON_TRACK, STATUS_ORDER, TO_VERIFY
from ..domain.status import is_bad

LEVELS = ("station", "county", "district")


def rollup(summary: pd.DataFrame, ds, level: str = "station") -> pd.DataFrame:
    """Per unit of ``level``: stations, indicators, count per status, shares met / on track / behind.

    ``behind`` counts 落后 and 未达标; ``stations_behind`` counts stations with
    at least one mandatory indicator 落后 or 未达标.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    st = ds.stations.set_index("code")
    s = summary.copy()
    if level == "station":
        s["unit_code"], s["unit_name"] = s["station_code"], s["station_name"]
    elif level == "county":
        s["unit_code"] = s["station_code"].map(st["parent_code"]).fillna(s["station_code"])
        s["unit_name"] = s["unit_code"].map(st["name"])
    else:
        s["unit_code"] = s["station_code"].map(st["district"])
        s["unit_name"] = s["unit_code"]
    counts = pd.crosstab([s["unit_code"], s["unit_name"]], s["status"]).reindex(columns=list(STATUS_ORDER),
                                                                               fill_value=0)
    s["bad"] = is_bad(s["status"])
    per_station = s[s["mandatory"]].groupby(["unit_code", "station_code"])["bad"].any().groupby("unit_code").sum()
    agg = s.groupby(["unit_code", "unit_name"]).agg(stations=("station_code", "nunique"),
                                                    indicators=("indicator_id", "size"))
    out = agg.join(counts).reset_index()
    n = out["indicators"].where(out["indicators"] > 0, 1)
    out["share_met"] = out[MET] / n
    out["share_on_track"] = out[ON_TRACK] / n
    out["share_behind"] = (out[BEHIND] + out[MISSED]) / n
    out["stations_behind"] = out["unit_code"].map(per_station).fillna(0).astype(int)
    cols = ["unit_code", "unit_name", "stations", "indicators", MET, ON_TRACK, BEHIND, MISSED, TO_VERIFY, NOT_STARTED,
            "share_met", "share_on_track", "share_behind", "stations_behind"]
    return out[cols].rename(columns={"unit_code": "code", "unit_name": "name"})
