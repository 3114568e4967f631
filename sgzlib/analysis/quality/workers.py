"""A worker with sessions at two township stations on the same day.

The ledger has no times of day (服务记录, 个案服务 and 小组活动 carry a date only; see ``domain.schema``),
and 服务记录 names no worker. So the check reads the sessions that name a worker — 个案服务 through the
case's 负责社工, 小组活动 through the group's 带领社工 — and finds a worker with sessions on one day at two
different township stations, each counted by its own project. Two village rooms of one township on one day
are ordinary and not listed. The same worker is the same staff code, or the same name (folded, within one
district) on two stations' staff lists, unless more than two staff rows of the district share that name.
"""

from __future__ import annotations

import pandas as pd

from .findings import finding_frame, record_list
from .index import QualityIndex

HOW_WORDS = {"code": "同一人员编码", "name": "两站「驻站人员」表上姓名相同的人员"}


def two_places(ds, index: QualityIndex) -> pd.DataFrame:
    """One finding per worker of ``ds`` and other township station they are also recorded at on some day."""
    w = index.workers
    if w.empty:
        return finding_frame([])
    mine = w[w["station_code"].isin(set(ds.stations["code"]))]
    if mine.empty:
        return finding_frame([])
    days = mine.merge(w, on=["person", "date"], suffixes=("", "_other"))
    days = days[days["station_code"] != days["station_code_other"]]
    if days.empty:
        return finding_frame([])
    rows = []
    for (station, staff, other, other_staff), g in days.groupby(
            ["station_code", "staff_code", "station_code_other", "staff_code_other"], sort=True):
        first = g.iloc[0]
        dates = sorted(pd.to_datetime(g["date"]).dt.strftime("%Y-%m-%d").unique())
        who = f"社工 {staff}" if staff == other_staff else f"社工 {staff} 与 {first['station_name_other']}的 {other_staff}" \
            f"（{HOW_WORDS[first['how']]}）"
        own = g.drop_duplicates("record_id")
        theirs = g.drop_duplicates("record_id_other")
        rows.append({
            "check": "worker_two_places", "station_code": station, "station_name": first["station_name"],
            "month": dates[0][:7] if len({d[:7] for d in dates}) == 1 else None,
            "why": f"{who}有 {len(dates)} 天在{first['station_name']}和{first['station_name_other']}都有个案或小组"
                   f"节次：{'、'.join(dates)}。台账没有服务时间，按同一天在两个乡镇（街道）站点都有节次判断，"
                   "请核实当天是否确实在两地",
            "records": _sessions(own["record_table"], own["record_id"]), "n_records": len(own),
            "other_station": other, "other_records": _sessions(theirs["record_table_other"], theirs["record_id_other"])})
    return finding_frame(rows)


def _sessions(tables: pd.Series, ids: pd.Series) -> str:
    """``个案服务 YL01-C01/3、YL01-C02/1；小组活动 YL01-G02/1``."""
    parts = pd.DataFrame({"t": tables.to_numpy(), "i": ids.to_numpy()}).sort_values(["t", "i"])
    return "；".join(record_list(t, g["i"]) for t, g in parts.groupby("t", sort=True))
