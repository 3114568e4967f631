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

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...domain import schema
from ...domain.scope import TOWNSHIP
from ...domain.vocab import fold
from ...errors import NotFoundError
from ...indicators.catalogue import load_catalogue
from .arrays import iso_dates, month_numbers, month_texts, townships_of

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
    st = ds.stations.set_index("code")
    up = pd.Series(np.where(st["level"] == TOWNSHIP, st.index, None), index=st.index, dtype=object)
    parent = st["parent_code"].astype(object)
    for _ in range(4):  # village rooms sit one level below their township; allow deeper trees
        missing = up.isna() & parent.notna()
        if not missing.any():
            break
        up[missing] = parent[missing].map(up)
        parent = parent.map(st["parent_code"]).where(missing)
    out = pd.DataFrame({"township": up.astype(object)}, index=up.index)
    out["name"] = out["township"].map(st["name"])
    out["district"] = out["township"].map(st["district"])
    out["level"] = out["township"].map(st["level"])
    return out[out["level"] == TOWNSHIP]


def hashed(texts: np.ndarray) -> np.ndarray:
    """A stable 64-bit hash of each text (the same in every process: ``pandas.util.hash_array``)."""
    return pd.util.hash_array(np.asarray(texts, dtype=object), categorize=True).astype(np.uint64)


def _each(values: pd.Series, func) -> np.ndarray:
    """``func`` of each value (None for blanks and where ``func`` gives None or ""), once per distinct value."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    done = np.array([func(str(u)) or None for u in uniques] + [None], dtype=object)
    return done[codes]  # code -1 (a blank) takes the None at the end


def _fold(text: str) -> str:
    """``privacy.fold`` (NFKC without spaces or invisible characters), skipped for text it leaves alone."""
    if text.isprintable() and " " not in text and unicodedata.is_normalized("NFKC", text):
        return text
    return fold(text)


# What ``privacy.fold`` drops: white space, separators, format and control characters (RE2 syntax).
NOT_SHOWN = r"[\s\p{Z}\p{Cf}\p{Cc}]+"


def _arrow_folded(values: pd.Series) -> pa.Array:
    """``privacy.fold`` of every value in Arrow (NFKC, then without white space or invisible characters):
    the same text, computed in C++ for two hundred thousand people at once."""
    arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    folded = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKC"), NOT_SHOWN, "")
    return pc.if_else(pc.equal(folded, ""), pa.scalar(None, pa.string()), folded)


def person_keys(ds, towns: pd.DataFrame) -> pd.DataFrame:
    """The identity keys of every roster member: ID number (15 or 18 characters, X upper case), or name +
    birth date, or name + phone (its digits, the last 11 of them when more, at least 7)."""
    b = ds.beneficiaries
    if b.empty:
        return _empty(PEOPLE_COLUMNS)
    name = _arrow_folded(b["name"])
    ident = pc.utf8_upper(_arrow_folded(b["id_number"]))
    ident = pc.if_else(pc.is_in(pc.utf8_length(ident), pa.array([15, 18], pa.int32())), ident,
                       pa.scalar(None, pa.string()))
    digits = pc.replace_substring_regex(_arrow_folded(b["phone"]), r"\D+", "")
    phone = pc.if_else(pc.greater_equal(pc.utf8_length(digits), 7), pc.utf8_slice_codeunits(digits, start=-11),
                       pa.scalar(None, pa.string()))
    birth = pa.array(iso_dates(b["birth_date"]), type=pa.string(), from_pandas=True)
    join = pc.binary_join_element_wise
    kinds = {"id": join("id", ident, ":"), "name_birth": join("nb", name, birth, ":"),
             "name_phone": join("np", name, phone, ":")}
    town = townships_of(b["station_code"], towns)
    names = _town_names(towns)
    codes = b["code"].to_numpy(dtype=object)
    parts = []
    for kind, text in kinds.items():
        text = text.to_numpy(zero_copy_only=False)
        ok = (text != None) & (town != None)  # noqa: E711 (object arrays of text and None)
        if ok.any():
            parts.append(pd.DataFrame({"key": hashed(text[ok]), "kind": kind, "station_code": town[ok],
                                       "station_name": names.reindex(town[ok]).to_numpy(),
                                       "beneficiary_code": codes[ok]}))
    return pd.concat(parts, ignore_index=True) if parts else _empty(PEOPLE_COLUMNS)


def staff_identity(ds, towns: pd.DataFrame) -> pd.DataFrame:
    """Per staff code its person key: the folded name within the district when that name is rare enough there
    (two staff rows of one district with that name at most), else the code. Columns: staff_code, person, how."""
    s = ds.staff
    if s.empty:
        return pd.DataFrame(columns=["staff_code", "person", "how"])
    name = pd.Series(_each(s["name"], _fold), index=s.index, dtype=object)
    district = s["station_code"].map(towns["district"])
    by_name = ("name:" + district.fillna("").astype(object) + "|" + name).where(name.notna())
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
    names = ds.projects["catalogue"].astype(object)
    ids = {}
    for name in names.dropna().unique():
        try:
            ids[name] = load_catalogue(str(name)).id
        except NotFoundError:  # an unknown catalogue groups with the projects naming it the same way
            ids[name] = str(name)
    return pd.Series(names.map(ids).to_numpy(), index=ds.projects["code"].astype(object).to_numpy())


def monthly_metrics(ds, towns: pd.DataFrame, as_of, service_counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The figures compared with peers, per township station and month ended by ``as_of`` inside one of its
    projects: ``services`` — one row, the number of service records (``n`` 1); ``attendance`` (签到人数 of a
    group session) and ``minutes`` (时长 of a case session) — one row per distinct value, ``n`` the sessions
    with that value (a frequency table: compact, and enough for a median)."""
    projects = ds.projects
    if projects.empty:
        return _empty(METRIC_COLUMNS)
    as_of = pd.Timestamp(as_of)
    last = month_numbers(pd.Series([as_of]))[0] - (0 if (as_of + pd.Timedelta(days=1)).day == 1 else 1)
    s = ds.services
    g, gs = ds.groups.set_index("code"), ds.group_sessions
    c, cs = ds.cases.set_index("code"), ds.case_sessions
    counted = _service_months(service_counts, towns) if service_counts is not None else \
        _per_month(s["station_code"], s["date"], None, "services", towns)
    frames = [counted,
              _per_month(gs["group_code"].map(g["station_code"]), gs["date"], gs["attendance"], "attendance", towns),
              _per_month(cs["case_code"].map(c["station_code"]), cs["date"], cs["minutes"], "minutes", towns)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(METRIC_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out[out["mnum"] <= last]
    # the month's project gives the catalogue; months outside every project are left out
    p = pd.DataFrame({"station_code": projects["station_code"].to_numpy(dtype=object),
                      "first": month_numbers(projects["start"]), "last": month_numbers(projects["end"]),
                      "catalogue": projects["code"].map(catalogue_of(ds)).to_numpy(dtype=object)})
    merged = out.merge(p, on="station_code")
    merged = merged[(merged["mnum"] >= merged["first"]) & (merged["mnum"] <= merged["last"])]
    merged = merged.drop_duplicates(["station_code", "mnum", "metric", "value"])
    merged["month"] = month_texts(merged["mnum"].to_numpy())
    merged["station_name"] = merged["station_code"].map(_town_names(towns))
    return merged[METRIC_COLUMNS].reset_index(drop=True)


def _per_month(station: pd.Series, dates: pd.Series, values: pd.Series | None, metric: str,
               towns: pd.DataFrame) -> pd.DataFrame:
    """Per township station and month: the count of rows (``values`` None), else the frequency of each value."""
    town = townships_of(station, towns)
    months = month_numbers(dates)
    keep = (town != None) & (months >= 0)  # noqa: E711 (an object array of codes and None)
    if values is not None:
        keep &= values.notna().to_numpy()
    if not keep.any():
        return pd.DataFrame(columns=["station_code", "mnum", "metric", "value", "n"])
    code, names = pd.factorize(town[keep])
    if values is None:  # count rows per (township, month): one sort of integers
        pair = code.astype("int64") * 100_000 + (months[keep] - months[keep].min())
        uniq, n = np.unique(pair, return_counts=True)
        agg = pd.DataFrame({"station_code": names[uniq // 100_000], "mnum": uniq % 100_000 + months[keep].min(),
                            "value": n.astype(float), "n": 1})
    else:
        frame = pd.DataFrame({"station_code": code, "mnum": months[keep],
                              "value": values.to_numpy(dtype=float, na_value=np.nan)[keep]})
        agg = frame.groupby(["station_code", "mnum", "value"]).size().rename("n").reset_index()
        agg["station_code"] = names[agg["station_code"].to_numpy()]
    agg["metric"] = metric
    return agg[["station_code", "mnum", "metric", "value", "n"]]


def _service_months(counts: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Service records per township station and month from counts per (any) station and month (``YYYY-MM``)."""
    town = townships_of(counts["station_code"], towns)
    keep = town != None  # noqa: E711 (an object array of codes and None)
    if not keep.any():
        return pd.DataFrame(columns=["station_code", "mnum", "metric", "value", "n"])
    month = counts["month"].to_numpy(dtype=object)[keep]
    mnum = np.array([(int(m[:4]) - 1970) * 12 + int(m[5:7]) - 1 for m in month], dtype="int64")
    agg = pd.DataFrame({"station_code": town[keep], "mnum": mnum,
                        "value": counts.loc[keep, "n"].to_numpy(dtype=float)}).groupby(
        ["station_code", "mnum"], as_index=False)["value"].sum()
    agg["n"], agg["metric"] = 1, "services"
    return agg[["station_code", "mnum", "metric", "value", "n"]]
