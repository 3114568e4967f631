"""The compact cross-station index the data-quality checks compare a station with.

Three checks look beyond one station: the same person on two stations' rosters, a worker at two stations on
one day, and a station's monthly figures against its peers of the same catalogue. They read the other
stations only through a ``QualityIndex``: hashed identity keys of people (no name, phone or ID number is
kept), the days each worker has sessions at each township station, and each station's monthly figures
(service records per month; the frequencies of group attendance and case-session minutes per month).
An index is built from any part of the database (``build_index``) and the parts are put together
(``QualityIndex.concat``), so the checks work when the data is loaded one station at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...domain import schema
from ...domain.scope import TOWNSHIP, township_of
from ...domain.vocab import fold

PEOPLE_COLUMNS = ["key", "kind", "station_code", "station_name", "beneficiary_code"]
WORKER_COLUMNS = ["person", "how", "station_code", "station_name", "district", "date", "record_table", "record_id",
                  "staff_code"]
METRIC_COLUMNS = ["station_code", "station_name", "catalogue", "month", "metric", "value", "n"]
# A name held by more staff rows than this in one district is too common to say two rows are one person.
COMMON_NAME = 2


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class QualityIndex:
    """``people``: one row per identity key of a roster member (``kind``: id / name_birth / name_phone, ``key``
    its 64-bit hash). ``workers``: one row per session a worker is named on (``person``: the hashed identity
    of the worker, ``how``: code or name). ``metrics``: the figures compared with peers, per township station
    and ended month (``monthly_metrics``)."""

    people: pd.DataFrame = field(default_factory=lambda: _empty(PEOPLE_COLUMNS))
    workers: pd.DataFrame = field(default_factory=lambda: _empty(WORKER_COLUMNS))
    metrics: pd.DataFrame = field(default_factory=lambda: _empty(METRIC_COLUMNS))

    @classmethod
    def concat(cls, parts: list[QualityIndex]) -> QualityIndex:
        """The index of several parts of the database (built one station, or one batch, at a time)."""
        def join(name):
            frames = [getattr(p, name) for p in parts if len(getattr(p, name))]
            return pd.concat(frames, ignore_index=True) if frames else getattr(cls(), name)
        return cls(join("people").drop_duplicates(["key", "beneficiary_code"]),
                   join("workers").drop_duplicates(["person", "record_table", "record_id"]),
                   join("metrics").drop_duplicates(["station_code", "month", "metric", "value"]))


def build_index(ds, as_of, service_counts: pd.DataFrame | None = None) -> QualityIndex:
    """The index of ``ds`` (unmasked: identities are hashed here) on ``as_of`` (months that have ended).

    ``service_counts`` (station_code, month ``YYYY-MM``, n): the service records per station and month when
    ``ds`` does not hold the records themselves (a database counts them: ``store.quality_index``).
    """
    towns = townships(ds)
    return QualityIndex(person_keys(ds, towns), worker_days(ds, towns),
                        monthly_metrics(ds, towns, as_of, service_counts))


def townships(ds) -> pd.DataFrame:
    """Every station code → its township station's code, name and district."""
    up = township_of(ds)
    st = ds.stations.set_index("code")
    out = pd.DataFrame({"township": up.astype(object)}, index=up.index)
    out["name"] = out["township"].map(st["name"])
    out["district"] = out["township"].map(st["district"])
    out["level"] = out["township"].map(st["level"])
    return out[out["level"] == TOWNSHIP]


def hashed(texts: np.ndarray) -> np.ndarray:
    """A stable 64-bit hash of each text (the same in every process: ``pandas.util.hash_array``)."""
    return pd.util.hash_array(np.asarray(texts, dtype=object), categorize=True).astype(np.uint64)


def _folded(values: pd.Series) -> pd.Series:
    """NFKC without spaces or invisible characters (``privacy.fold``), computed once per distinct value."""
    text = values.astype(object)
    present = text.notna()
    out = pd.Series(None, index=values.index, dtype=object)
    if present.any():
        uniques = pd.unique(text[present])
        folded = {u: fold(str(u)) for u in uniques}
        out[present] = text[present].map(folded)
    return out.where(out.astype(bool), None).astype("string")


def _digits(values: pd.Series) -> pd.Series:
    d = _folded(values).str.replace(r"\D", "", regex=True)
    d = d.where(d.str.len() >= 7)
    return d.where(d.str.len() < 11, d.str[-11:])  # 86 13800000000 → 13800000000


def person_keys(ds, towns: pd.DataFrame) -> pd.DataFrame:
    """The identity keys of every roster member: ID number, or name + birth date, or name + phone."""
    b = ds.beneficiaries
    if b.empty:
        return _empty(PEOPLE_COLUMNS)
    name = _folded(b["name"])
    id_number = _folded(b["id_number"]).str.upper()
    id_number = id_number.where(id_number.str.len().isin([15, 18]))
    birth = b["birth_date"].dt.strftime("%Y-%m-%d")
    phone = _digits(b["phone"])
    kinds = {"id": "id:" + id_number, "name_birth": "nb:" + name + "|" + birth, "name_phone": "np:" + name + "|" + phone}
    town = b["station_code"].map(towns["township"])
    parts = []
    for kind, text in kinds.items():
        ok = text.notna() & town.notna()
        if ok.any():
            parts.append(pd.DataFrame({"key": hashed(text[ok].to_numpy()), "kind": kind,
                                       "station_code": town[ok].to_numpy(),
                                       "station_name": town[ok].map(towns.drop_duplicates("township")
                                                                    .set_index("township")["name"]).to_numpy(),
                                       "beneficiary_code": b.loc[ok, "code"].astype(object).to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else _empty(PEOPLE_COLUMNS)


def staff_identity(ds, towns: pd.DataFrame) -> pd.DataFrame:
    """Per staff code its person key: the folded name within the district when that name is rare enough there
    (two staff rows of one district with that name at most), else the code. Columns: staff_code, person, how."""
    s = ds.staff
    if s.empty:
        return pd.DataFrame(columns=["staff_code", "person", "how"])
    name = _folded(s["name"])
    district = s["station_code"].map(towns["district"])
    by_name = ("name:" + district.fillna("") + "|" + name).where(name.notna())
    usable = by_name.notna() & (by_name.map(by_name.value_counts()) <= COMMON_NAME)
    text = by_name.where(usable, "code:" + s["code"].astype(object))
    return pd.DataFrame({"staff_code": s["code"].astype(object).to_numpy(), "person": hashed(text.to_numpy()),
                         "how": np.where(usable, "name", "code")})


def worker_days(ds, towns: pd.DataFrame) -> pd.DataFrame:
    """Every case and group session with the worker named on its case (负责社工) or group (带领社工)."""
    ident = staff_identity(ds, towns).set_index("staff_code")
    parts = []
    for owners, sessions, owner_col, worker_col, sheet in (
            (ds.cases, ds.case_sessions, "case_code", "worker_code", schema.TABLE_BY_NAME["case_sessions"].sheet),
            (ds.groups, ds.group_sessions, "group_code", "leader_code", schema.TABLE_BY_NAME["group_sessions"].sheet)):
        if sessions.empty or owners.empty:
            continue
        o = owners.set_index("code")
        worker = sessions[owner_col].map(o[worker_col]).astype(object)
        town = sessions[owner_col].map(o["station_code"]).map(towns["township"])
        keep = worker.notna() & town.notna() & worker.isin(ident.index)
        if not keep.any():
            continue
        w, t, rows = worker[keep], town[keep], sessions[keep]
        parts.append(pd.DataFrame({
            "person": ident["person"].reindex(w).to_numpy(), "how": ident["how"].reindex(w).to_numpy(),
            "station_code": t.to_numpy(), "station_name": t.map(_town_names(towns)).to_numpy(),
            "district": t.map(_town_districts(towns)).to_numpy(), "date": rows["date"].to_numpy(),
            "record_table": sheet, "record_id": (rows[owner_col].astype(str) + "/" + rows["seq"].astype(str)).to_numpy(),
            "staff_code": w.to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else _empty(WORKER_COLUMNS)


def _town_names(towns: pd.DataFrame) -> pd.Series:
    return towns.drop_duplicates("township").set_index("township")["name"]


def _town_districts(towns: pd.DataFrame) -> pd.Series:
    return towns.drop_duplicates("township").set_index("township")["district"]


def catalogue_of(ds) -> pd.Series:
    """Project code → catalogue id (the text as written where it names no shipped catalogue)."""
    from ...indicators.catalogue import load_catalogue

    names = ds.projects["catalogue"].astype(object)
    ids = {}
    for name in names.dropna().unique():
        try:
            ids[name] = load_catalogue(str(name)).id
        except Exception:  # noqa: BLE001 (an unknown catalogue groups with projects naming it the same way)
            ids[name] = str(name)
    return pd.Series(names.map(ids).to_numpy(), index=ds.projects["code"].astype(object).to_numpy())


def monthly_metrics(ds, towns: pd.DataFrame, as_of, service_counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The figures compared with peers, per township station and month ended by ``as_of`` inside one of its
    projects: ``services`` — one row, the number of service records (``n`` 1); ``attendance`` (签到人数 of a
    group session) and ``minutes`` (时长 of a case session) — one row per distinct value, ``n`` the sessions
    with that value (a frequency table: compact, and enough for a median)."""
    projects = ds.projects.assign(catalogue_id=ds.projects["code"].map(catalogue_of(ds)).to_numpy())
    if projects.empty:
        return _empty(METRIC_COLUMNS)
    end = pd.Timestamp(as_of).to_period("M") - 1  # the last ended month (as_of at a month's end: that month)
    if (pd.Timestamp(as_of) + pd.Timedelta(days=1)).day == 1:
        end += 1
    s = ds.services
    g, gs = ds.groups.set_index("code"), ds.group_sessions
    c, cs = ds.cases.set_index("code"), ds.case_sessions
    counted = _service_months(service_counts, towns) if service_counts is not None else \
        _per_month(s["station_code"], s["date"], pd.Series(1.0, index=s.index), "services", towns, True)
    frames = [counted,
              _per_month(gs["group_code"].map(g["station_code"]), gs["date"], gs["attendance"].astype(float),
                         "attendance", towns, False),
              _per_month(cs["case_code"].map(c["station_code"]), cs["date"], cs["minutes"].astype(float),
                         "minutes", towns, False)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(METRIC_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out[pd.PeriodIndex(out["month"], freq="M") <= end]
    # the month's project gives the catalogue; months outside every project are left out
    p = projects.assign(first=projects["start"].dt.to_period("M"), last=projects["end"].dt.to_period("M"))
    merged = out.drop(columns="catalogue").merge(p[["station_code", "first", "last", "catalogue_id"]],
                                                 on="station_code")
    month = pd.PeriodIndex(merged["month"], freq="M")
    merged = merged[(month >= pd.PeriodIndex(merged["first"])) & (month <= pd.PeriodIndex(merged["last"]))]
    merged = merged.drop_duplicates(["station_code", "month", "metric", "value"])
    return merged.rename(columns={"catalogue_id": "catalogue"})[METRIC_COLUMNS].reset_index(drop=True)


def _per_month(station: pd.Series, dates: pd.Series, values: pd.Series, metric: str, towns: pd.DataFrame,
               count: bool) -> pd.DataFrame:
    town = station.map(towns["township"])
    keep = town.notna() & dates.notna() & values.notna()
    if not keep.any():
        return _empty(METRIC_COLUMNS)
    frame = pd.DataFrame({"station_code": town[keep].to_numpy(), "month": dates[keep].dt.strftime("%Y-%m").to_numpy(),
                          "value": values[keep].to_numpy(dtype=float)})
    if count:
        agg = frame.groupby(["station_code", "month"]).size().rename("value").reset_index().assign(n=1)
        agg["value"] = agg["value"].astype(float)
    else:
        agg = frame.groupby(["station_code", "month", "value"]).size().rename("n").reset_index()
    agg["metric"] = metric
    agg["station_name"] = agg["station_code"].map(_town_names(towns))
    agg["catalogue"] = None
    return agg[METRIC_COLUMNS]


def _service_months(counts: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Service records per township station and month from counts per (any) station and month."""
    town = counts["station_code"].map(towns["township"])
    keep = town.notna()
    if not keep.any():
        return _empty(METRIC_COLUMNS)
    agg = pd.DataFrame({"station_code": town[keep].to_numpy(), "month": counts.loc[keep, "month"].to_numpy(),
                        "value": counts.loc[keep, "n"].to_numpy(dtype=float)}).groupby(
        ["station_code", "month"], as_index=False)["value"].sum()
    agg["n"], agg["metric"], agg["catalogue"] = 1, "services", None
    agg["station_name"] = agg["station_code"].map(_town_names(towns))
    return agg[METRIC_COLUMNS]
