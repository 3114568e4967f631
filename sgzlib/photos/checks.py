"""Photo findings per record: missing or ambiguous files, the same picture used twice, time and place.

Pure code over a ``Dataset`` whose ``photo_files`` frame is the photo index
(``store.load_index``). Every photo a ledger row names is a *use*; a use is
matched to a file of its station's folder (the nearest station up the tree
that has an index), and files are grouped by content: identical SHA-256, or
perceptual fingerprints within ``hashing.THRESHOLD`` bits, across records,
stations, projects and years. The first record (by date, then table and
code) to use a picture *owns* it; a later record's use of the same picture is
a re-use. Which findings stop a service from counting is decided by the
catalogue, in ``sgzlib.indicators.photos``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..domain.dataset import split_list
from . import hashing
from .match import AMBIGUOUS, MATCHED, MISSING, FolderIndex
from .scan import INDEX_COLUMNS

MISSING_FILE, AMBIGUOUS_FILE, UNREADABLE = "missing_file", "ambiguous_file", "unreadable"
REUSED_CONTENT, TIME_MISMATCH, NO_CAPTURE_TIME, PLACE_MISMATCH = (
    "reused_content", "time_mismatch", "no_capture_time", "place_mismatch")
FINDINGS = {
    MISSING_FILE: "台账写了照片，照片文件夹中没有",
    AMBIGUOUS_FILE: "照片名对应多个文件，无法确定是哪一张",
    UNREADABLE: "照片文件无法读取",
    REUSED_CONTENT: "与另一条记录使用的是同一张照片（内容相同或近似）",
    TIME_MISMATCH: "拍摄时间与记录日期不符",
    NO_CAPTURE_TIME: "照片没有拍摄时间（EXIF），无法核对",
    PLACE_MISMATCH: "拍摄地点离站点太远",
}
DEFAULT_MAX_DAYS = 1
DEFAULT_MAX_KM = 5.0
# Ledger tables whose rows name photos: (table, sheet, id columns, check time and place).
PHOTO_TABLES = (("services", "服务记录", ("code",), True), ("case_sessions", "个案服务", ("case_code", "seq"), True),
                ("group_sessions", "小组活动", ("group_code", "seq"), True), ("expenses", "经费支出", ("code",), False))
USE_COLUMNS = ["table", "record_table", "record_id", "row", "station_code", "folder", "date", "name", "status",
               "path", "candidates", "content", "owner", "first_record", "first_name", "first_path", "distance",
               "taken_at", "days_off", "km_off", "timed"]
FINDING_COLUMNS = ["table", "record_table", "record_id", "row", "station_code", "folder", "date", "name", "path",
                   "finding", "reason", "first_record", "first_folder", "first_path", "first_date", "taken_at", "days_off",
                   "km_off"]


@dataclass
class PhotoFindings:
    """``uses``: one row per photo a record names; ``findings``: one row per problem; ``unused``: files no one names."""

    uses: pd.DataFrame
    findings: pd.DataFrame
    unused: pd.DataFrame
    index: pd.DataFrame

    def for_table(self, table: str) -> pd.DataFrame:
        return self.uses[self.uses["table"] == table]


def photo_index(ds) -> pd.DataFrame:
    """The dataset's photo index (empty when no folder was scanned)."""
    frame = ds.frames.get("photo_files")
    return pd.DataFrame(columns=INDEX_COLUMNS) if frame is None else frame


def photo_findings(ds, max_days: float = DEFAULT_MAX_DAYS, max_km: float = DEFAULT_MAX_KM,
                   threshold: int = hashing.THRESHOLD, folders: dict[str, str] | None = None) -> PhotoFindings:
    """Every use of a photo in ``ds``, matched and checked; files nobody uses.

    ``folders``: station → its photo folder, when ``ds`` holds only part of the index (``folder_of`` over the
    whole database); uses whose folder is not in ``ds``'s index are left out.
    """
    index = photo_index(ds).reset_index(drop=True)
    uses = _uses(ds)
    indexed = set(index["station_code"])
    folders = _folder_of(ds, indexed) if folders is None else folders
    uses["folder"] = uses["station_code"].map(folders)
    uses = uses[uses["folder"].isin(indexed)].reset_index(drop=True)
    _match(uses, index)
    _own(uses, index, threshold)
    _time_place(uses, ds, index)
    findings = _findings(uses, max_days, max_km)
    # (folder, path) of every use that found its file: paired row by row (a use with no file has no path)
    used = {(f, p) for f, p in zip(uses["folder"], uses["path"]) if isinstance(p, str)} | {
        (f, p) for f, c in zip(uses["folder"], uses["candidates"]) for p in (c or ())}
    keys = list(zip(index["station_code"], index["path"]))
    unused = index[np.array([k not in used for k in keys], dtype=bool)][["station_code", "path", "taken_at", "size"]].reset_index(drop=True)
    return PhotoFindings(uses, findings, unused, index)


def _uses(ds) -> pd.DataFrame:
    parts = []
    for table, sheet, ids, timed in PHOTO_TABLES:
        frame = ds[table]
        names = split_list(frame["photos"])
        if names.empty:
            continue
        rid = frame[list(ids)].astype("string").agg("/".join, axis=1) if len(ids) > 1 else frame[ids[0]]
        parts.append(pd.DataFrame({
            "table": table, "record_table": sheet, "record_id": rid.loc[names.index].to_numpy(dtype=object),
            "row": names.index.to_numpy(), "station_code": ds.station_column(table).loc[names.index].to_numpy(dtype=object),
            "date": frame["date"].loc[names.index].to_numpy(), "name": names.to_numpy(dtype=object), "timed": timed}))
    if not parts:
        return pd.DataFrame(columns=USE_COLUMNS)
    uses = pd.concat(parts, ignore_index=True)
    return uses.drop_duplicates(["table", "record_id", "name"]).reset_index(drop=True)


def _folder_of(ds, indexed: set[str]) -> dict[str, str]:
    return folder_of(ds.stations, indexed)


def folder_of(stations: pd.DataFrame, indexed: set[str]) -> dict[str, str]:
    """Station → the nearest station up the tree (itself first) whose folder was scanned."""
    parent = stations.set_index("code")["parent_code"].to_dict()
    out = {}
    for code in stations["code"]:
        at, seen = code, set()
        while isinstance(at, str) and at not in indexed and at not in seen:
            seen.add(at)
            at = parent.get(at)
        if isinstance(at, str) and at in indexed:
            out[code] = at
    return out


def _match(uses: pd.DataFrame, index: pd.DataFrame) -> None:
    folders = {f: FolderIndex(g["path"]) for f, g in index.groupby("station_code")}
    found = [folders[f].find(n) for f, n in zip(uses["folder"], uses["name"])]
    uses["status"] = [s for s, _ in found]
    uses["path"] = [c[0] if s == MATCHED else None for s, c in found]
    uses["candidates"] = [tuple(c) if s == AMBIGUOUS else () for s, c in found]


def content_groups(index: pd.DataFrame, threshold: int = hashing.THRESHOLD) -> tuple[np.ndarray, dict]:
    """A content group per index row (same SHA-256 or fingerprints within ``threshold``), and pair distances."""
    n = len(index)
    parent = np.arange(n)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i, j):
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    dist: dict = {}
    shared = np.flatnonzero(index["sha256"].duplicated(keep=False).to_numpy()) if n else np.array([], dtype=int)
    for _, at in index.iloc[shared].groupby("sha256").indices.items() if len(shared) else ():
        rows = shared[at]  # positions in ``index``, ascending
        for j in rows[1:]:
            join(rows[0], j)
            dist[(int(rows[0]), int(j))] = 0
    ok = index["readable"].to_numpy(dtype=bool) & index["phash"].notna().to_numpy()
    pos = np.flatnonzero(ok)
    if len(pos) > 1:
        fps = np.stack([hashing.from_hex(h) for h in index["phash"].to_numpy()[pos]])
        for i, j, d in hashing.similar_pairs(fps, threshold):
            join(pos[i], pos[j])
            dist.setdefault((int(pos[i]), int(pos[j])), d)
    return np.array([root(i) for i in range(n)], dtype=int), dist


def _own(uses: pd.DataFrame, index: pd.DataFrame, threshold: int) -> None:
    groups, dist = content_groups(index, threshold)
    row_of = {k: i for i, k in enumerate(zip(index["station_code"], index["path"]))}
    idx = [row_of.get((f, p)) if isinstance(p, str) else None for f, p in zip(uses["folder"], uses["path"])]
    uses["content"] = [None if i is None else int(groups[i]) for i in idx]
    uses["file_ix"] = idx
    order = uses.sort_values(["date", "table", "record_id"], kind="stable")
    first: dict[int, int] = {}
    owner = pd.Series(True, index=uses.index)
    first_row = pd.Series(None, index=uses.index, dtype=object)
    for k, content, rid in zip(order.index, order["content"], order["record_id"]):
        if content is None:
            continue
        if content not in first:
            first[content] = k
        elif uses.at[first[content], "record_id"] != rid or uses.at[first[content], "table"] != uses.at[k, "table"]:
            owner[k] = False
            first_row[k] = first[content]
    uses["owner"] = owner
    f = first_row.dropna().astype(int)
    uses["first_record"] = None
    uses["first_name"] = None
    uses["first_path"] = None
    uses["first_folder"] = None
    uses["first_date"] = pd.NaT
    uses["distance"] = None
    if len(f):
        uses.loc[f.index, "first_record"] = [f"{uses.at[j, 'record_table']} {uses.at[j, 'record_id']}" for j in f]
        uses.loc[f.index, "first_name"] = uses.loc[f.to_numpy(), "name"].to_numpy()
        uses.loc[f.index, "first_path"] = uses.loc[f.to_numpy(), "path"].to_numpy()
        uses.loc[f.index, "first_folder"] = uses.loc[f.to_numpy(), "folder"].to_numpy()
        uses.loc[f.index, "first_date"] = uses.loc[f.to_numpy(), "date"].to_numpy()
        uses.loc[f.index, "distance"] = [
            dist.get((min(int(a), int(b)), max(int(a), int(b))), None) or _pair_distance(index, int(a), int(b))
            for a, b in zip(uses.loc[f.index, "file_ix"], uses.loc[f.to_numpy(), "file_ix"])]
    sha = index["sha256"].to_numpy(dtype=object)
    ix = [None if pd.isna(v) else int(v) for v in uses["file_ix"]]  # uses has a RangeIndex: label = position
    uses["same_bytes"] = [pd.notna(j) and ix[k] is not None and sha[ix[k]] == sha[ix[int(j)]]
                          for k, j in zip(uses.index, first_row)]


def _pair_distance(index: pd.DataFrame, a: int, b: int) -> int:
    if a == b or index.at[a, "sha256"] == index.at[b, "sha256"]:
        return 0
    fps = np.stack([hashing.from_hex(index.at[a, "phash"]), hashing.from_hex(index.at[b, "phash"])])
    return int(hashing.distance_matrix(fps)[0, 1])


def _time_place(uses: pd.DataFrame, ds, index: pd.DataFrame) -> None:
    facts = index.set_index(["station_code", "path"])
    keys = list(zip(uses["folder"], uses["path"]))
    matched = uses["path"].notna().to_numpy()
    taken = pd.Series(pd.NaT, index=uses.index, dtype="datetime64[ns]")
    lat = np.full(len(uses), np.nan)
    lon = np.full(len(uses), np.nan)
    readable = np.zeros(len(uses), dtype=bool)
    if matched.any():
        m = facts.reindex([k for k, ok in zip(keys, matched) if ok])
        taken[matched] = pd.to_datetime(m["taken_at"]).to_numpy()
        lat[matched], lon[matched] = m["latitude"].to_numpy(dtype=float), m["longitude"].to_numpy(dtype=float)
        readable[matched] = m["readable"].to_numpy(dtype=bool)
    uses["taken_at"] = taken
    uses["readable_file"] = readable
    day = pd.to_datetime(uses["date"])
    uses["days_off"] = (taken.dt.normalize() - day).dt.days.abs()
    home = station_positions(ds)
    slat = uses["station_code"].map({k: v[0] for k, v in home.items()}).astype(float).to_numpy()
    slon = uses["station_code"].map({k: v[1] for k, v in home.items()}).astype(float).to_numpy()
    uses["km_off"] = haversine_km(lat, lon, slat, slon)


def station_positions(ds) -> dict[str, tuple[float, float]]:
    """Station → (latitude, longitude): its own 经度/纬度, else the nearest station above that has them."""
    st = ds.stations.set_index("code")
    own = {c: (float(a), float(o)) for c, a, o in zip(st.index, st["latitude"], st["longitude"])
           if pd.notna(a) and pd.notna(o)}
    out = {}
    for code in st.index:
        at, seen = code, set()
        while isinstance(at, str) and at not in own and at not in seen:
            seen.add(at)
            at = st["parent_code"].get(at)
        if isinstance(at, str) and at in own:
            out[code] = own[at]
    return out


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (NaN where a position is missing); Earth radius 6371.0088 km."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _findings(uses: pd.DataFrame, max_days: float, max_km: float) -> pd.DataFrame:
    rows = []

    def add(r, code, reason):
        rows.append({**{c: getattr(r, c) for c in FINDING_COLUMNS if c not in ("finding", "reason")},
                     "finding": code, "reason": reason})

    for r in uses.itertuples():
        if r.status == MISSING:
            add(r, MISSING_FILE, f"照片「{r.name}」不在站点照片文件夹中")
            continue
        if r.status == AMBIGUOUS:
            add(r, AMBIGUOUS_FILE, f"照片名「{r.name}」对应多个文件（{'、'.join(r.candidates)}），未自动选择")
            continue
        if not r.readable_file:
            add(r, UNREADABLE, f"照片「{r.path}」无法读取，无法核对内容、时间和地点")
            continue
        if not r.owner:
            how = "内容完全相同" if r.same_bytes else f"内容近似，感知哈希相差 {r.distance} 位"
            add(r, REUSED_CONTENT, f"照片「{r.name}」与{r.first_record}的照片「{r.first_name}」是同一张（{how}），"
                                   "重复照片只认定一次")
        if not r.timed:
            continue
        if pd.isna(r.taken_at):
            add(r, NO_CAPTURE_TIME, f"照片「{r.name}」没有拍摄时间（EXIF），无法核对是否当天拍摄")
        elif r.days_off > max_days:
            add(r, TIME_MISMATCH, f"照片「{r.name}」拍摄于 {r.taken_at:%Y-%m-%d %H:%M}，与记录日期 {r.date:%Y-%m-%d} "
                                  f"相差 {int(r.days_off)} 天（允许 {_num(max_days)} 天）")
        if not math.isnan(r.km_off) and r.km_off > max_km:
            add(r, PLACE_MISMATCH, f"照片「{r.name}」拍摄地点距站点 {r.km_off:.1f} 公里（允许 {_num(max_km)} 公里）")
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def _num(x: float) -> str:
    return f"{x:g}"
