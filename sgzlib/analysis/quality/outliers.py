"""Figures out of line with the peer stations of the same catalogue: a robust z.

Three figures (``index.monthly_metrics``): a township station's number of service records in a month, the
attendance (签到人数) of each group session, and the minutes (时长) of each case session. Each value is compared
with the same figure at the stations whose project has the same catalogue: in the same month when at least
``same_month_peers`` stations have that month, else over all their months (a small district). The robust z
is 0.6745 × (value − median) ÷ MAD, the median absolute deviation (Iglewicz and Hoaglin's modified z); where
the MAD is 0, the mean absolute deviation × 1.2533 stands in for it. A count is never held to less spread
than chance gives a Poisson count of the median (√m people; 1/√m on the log scale), so a handful of peers
that happen to agree closely do not make an ordinary month stand out. |z| ≥ ``z_limit`` (3.5) is listed, one
finding per station, month and figure, naming the records. Monthly counts are compared on a log scale
(log(1 + n)): a station twice as busy as its peers is as far from them as one half as busy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...domain import schema
from .arrays import month_numbers, townships_of
from .findings import finding_frame, record_list

# metric → (what is measured, its unit, the sheet of its records)
METRICS = {"services": ("服务记录条数", "条", schema.TABLE_BY_NAME["services"].sheet),
           "attendance": ("签到人数", "人", schema.TABLE_BY_NAME["group_sessions"].sheet),
           "minutes": ("时长", "分钟", schema.TABLE_BY_NAME["case_sessions"].sheet)}
LOG_SCALE = ("services",)


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The median of values ``x`` each repeated ``w`` times (the mean of the two middle ones for an even count)."""
    order = np.argsort(x, kind="stable")
    x, cum = x[order], np.cumsum(w[order])
    total = cum[-1]
    lo = x[np.searchsorted(cum, (total + 1) // 2)]  # the ((total + 1) // 2)-th value, counting from 1
    hi = x[np.searchsorted(cum, total // 2 + 1)]
    return float((lo + hi) / 2)


def _reference(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    centre = weighted_median(x, w)
    dev = np.abs(x - centre)
    return centre, weighted_median(dev, w), float(np.average(dev, weights=w))


def robust_z(metrics: pd.DataFrame, same_month_peers: int, min_values: int) -> pd.DataFrame:
    """``metrics`` with each row's reference (``peers`` stations, ``same_month``, ``median`` of the values) and
    ``z`` (NaN where the reference has fewer than two stations or ``min_values`` values, or no spread)."""
    m = metrics.reset_index(drop=True).copy()
    m["x"] = np.where(m["metric"].isin(LOG_SCALE), np.log1p(m["value"].astype(float)), m["value"].astype(float))
    m["n"] = m["n"].astype(int)
    x_all, w_all, v_all = m["x"].to_numpy(), m["n"].to_numpy(), m["value"].to_numpy(float)
    station_codes = pd.factorize(m["station_code"].to_numpy(dtype=object))[0]
    month = _references(m, ["catalogue", "metric", "month"], x_all, w_all, v_all, station_codes)
    same = (month["stations"] >= same_month_peers).to_numpy()
    ref = month
    if not same.all():  # a small district: the months of too few stations are pooled with the others
        pool = _references(m, ["catalogue", "metric"], x_all, w_all, v_all, station_codes)
        ref = pd.DataFrame({c: np.where(same, month[c], pool[c]) for c in month.columns})
    spread = np.where(ref["mad"] > 0, ref["mad"] / 0.6745, ref["meanad"] * 1.253314)
    spread = np.maximum(spread, _chance_spread(m["metric"].to_numpy(), ref["median"].to_numpy(dtype=float)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, (m["x"] - ref["centre"]) / spread, np.nan)
    enough = (ref["stations"] >= 2) & (ref["values"] >= min_values)
    return m.assign(z=np.where(enough, z, np.nan), same_month=same, peers=ref["stations"].astype(int).to_numpy(),
                    median=ref["median"].to_numpy())


def _references(m: pd.DataFrame, keys: list[str], x_all, w_all, v_all, station_codes) -> pd.DataFrame:
    """Per row, its group's (``keys``) centre, MAD, mean absolute deviation, median value, stations and values."""
    grouped = m.groupby(keys, dropna=False, sort=False)
    gid = grouped.ngroup().to_numpy()
    stats = np.full((grouped.ngroups, 6), np.nan)
    for idx in grouped.indices.values():
        x, w = x_all[idx], w_all[idx]
        stats[gid[idx[0]]] = [*_reference(x, w), weighted_median(v_all[idx], w), len(np.unique(station_codes[idx])),
                              w.sum()]
    return pd.DataFrame(stats[gid], columns=["centre", "mad", "meanad", "median", "stations", "values"])


def _chance_spread(metric: np.ndarray, median: np.ndarray) -> np.ndarray:
    """The least spread a count has by chance alone (a Poisson count of that median): √m people for an
    attendance, 1/√m on the log scale of a monthly count; none for minutes."""
    with np.errstate(divide="ignore", invalid="ignore"):
        poisson = np.where(metric == "attendance", np.sqrt(np.maximum(median, 0)),
                           np.where(np.isin(metric, LOG_SCALE), 1 / np.sqrt(np.maximum(median, 1)), 0.0))
    return np.nan_to_num(poisson)


def peer_outliers(ds, index, towns: pd.DataFrame, z_limit: float, same_month_peers: int,
                  min_values: int) -> pd.DataFrame:
    """One finding per township station of ``ds``, month and figure with a value of |robust z| ≥ ``z_limit``."""
    metrics = index.metrics
    if metrics.empty:
        return finding_frame([])
    scored = robust_z(metrics, same_month_peers, min_values)
    hits = scored[(scored["z"].abs() >= z_limit) & scored["station_code"].isin(set(ds.stations["code"]))]
    out = []
    rows = _Rows(ds, towns)
    for (station, month, metric), g in hits.groupby(["station_code", "month", "metric"], sort=True):
        word, unit, sheet = METRICS[metric]
        first = g.iloc[0]
        where = f"同清单 {first['peers']} 个站点{'同月' if first['same_month'] else '各月'}"
        values = "、".join(f"{_num(v)} {unit}（z = {z:.1f}）" for v, z in zip(g["value"], g["z"]))
        ids = rows.of(metric, station, month, set(g["value"]))
        what = f"{month} {word} {values}" if metric in LOG_SCALE else \
            f"{month} 有 {len(ids)} 节{sheet}的{word}为 {values}"
        out.append({
            "check": "peer_outlier", "station_code": station, "station_name": first["station_name"], "month": month,
            "why": f"{what}，{'高' if first['z'] > 0 else '低'}于{where}{'' if metric in LOG_SCALE else sheet}的"
                   f"中位数 {_num(first['median'])} {unit}（稳健 z，|z| ≥ {z_limit:g} 即列出），请核对这些记录",
            "records": record_list(sheet, ids), "n_records": len(ids)})
    return finding_frame(out)


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


class _Rows:
    """The records behind a flagged figure: the month's services, or the sessions with the flagged values.
    Each table's townships and months are worked out once, when a finding first needs them."""

    def __init__(self, ds, towns: pd.DataFrame):
        self.ds, self.towns, self.tables = ds, towns, {}

    def _table(self, metric: str):
        if metric not in self.tables:
            ds = self.ds
            if metric == "services":
                s = ds.services
                town, ids, values, dates = s["station_code"], s["code"].astype(str), None, s["date"]
            else:
                owners, sessions, col, value = (ds.groups, ds.group_sessions, "group_code", "attendance") \
                    if metric == "attendance" else (ds.cases, ds.case_sessions, "case_code", "minutes")
                town = sessions[col].map(owners.set_index("code")["station_code"])
                ids = sessions[col].astype(str) + "/" + sessions["seq"].astype(str)
                values, dates = sessions[value].to_numpy(dtype=float, na_value=np.nan), sessions["date"]
            codes, names = pd.factorize(townships_of(town, self.towns))
            self.tables[metric] = (codes, pd.Index(names), month_numbers(dates), ids.to_numpy(dtype=object), values)
        return self.tables[metric]

    def of(self, metric: str, town: str, month: str, values: set) -> list[str]:
        codes, names, months, ids, vals = self._table(metric)
        where = names.get_indexer([town])[0]
        keep = (codes == where) & (months == month_numbers(pd.Series([pd.Timestamp(month + "-01")]))[0])
        if vals is not None:
            keep &= np.isin(vals, list(values))
        return sorted(ids[keep])
