"""What every rule needs, prepared once for a whole dataset: projects, record ownership, evidence, periods.

A project belongs to a township station; its records are those of the station
and its village rooms dated inside the project period and on or before the
evaluation date. Ownership is computed with array operations for every table
at once, so a province costs a few merges, not a loop over stations.
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np
import pandas as pd

from ..domain.dataset import split_list
from ..domain.vocab import LIST_SEPARATOR, fold
from ..errors import DataError, NotFoundError, Problem
from .catalogue import Catalogue, load_catalogue
from .evidence import REASONS, REUSED_PHOTO, photo_check
from .frames import as_object, objects
from .periods import month_number
from .photos import findings_for, indexed_check


class Context:
    """The dataset, the evaluation date and the projects to evaluate, with cached preparations."""

    def __init__(self, ds, as_of, projects=None, catalogues=()):
        self.ds = ds
        self.as_of = pd.Timestamp(as_of).normalize()
        find = catalogue_finder(catalogues)
        self.projects = resolve_projects(ds, projects, find)
        self.catalogues: dict[str, Catalogue] = {c: find(c) for c in self.projects["catalogue"].unique()}
        self.projects["window_end"] = self.projects["end"].where(self.projects["end"] <= self.as_of, self.as_of)
        self._township = _township_of(ds)
        self.project_codes = pd.Index(self.projects["code"])
        self.cache: dict = {}

    # -- ownership ---------------------------------------------------------------

    def assign(self, frame: pd.DataFrame, station: pd.Series, dates: pd.Series | None = None) -> pd.DataFrame:
        """Rows of ``frame`` that belong to a project: ``pos`` (row position), ``project_code``.

        With ``dates``, a row belongs to the project of its township whose period
        contains the date (up to the evaluation date); without, to every project
        of its township (staff, checklist, rosters).
        """
        codes, names = pd.factorize(objects(station) if isinstance(station, pd.Series) else np.asarray(station))
        towns = self.projects["station_code"].unique()
        mapped = pd.Series(names, dtype=object).map(self._township)
        town_of_cat = pd.Categorical(mapped.where(mapped.isin(towns)), categories=towns).codes
        town = np.where(codes >= 0, town_of_cat[np.maximum(codes, 0)] if len(town_of_cat) else -1, -1)
        pos = np.flatnonzero(town >= 0)
        # every row once per project of its township, rows in order and a township's projects in order
        # (what an inner merge on the township gives), with array arithmetic instead of a merge
        project_town = pd.Categorical(self.projects["station_code"], categories=towns).codes
        by_town = np.argsort(project_town, kind="stable")
        per_town = np.bincount(project_town, minlength=len(towns))
        first = np.cumsum(per_town) - per_town
        if per_town.max(initial=0) <= 1:  # one project per township (the usual case): no repeats
            pos = pos[per_town[town[pos]] > 0]
            pidx = by_town[first[town[pos]]]
        else:
            repeats = per_town[town[pos]]
            pos = np.repeat(pos, repeats)
            offsets = np.arange(len(pos)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
            pidx = by_town[first[town[pos]] + offsets]
        if dates is not None:
            d = dates.to_numpy(dtype="datetime64[s]")[pos]
            keep = (d >= self.projects["start"].to_numpy(dtype="datetime64[s]")[pidx]) & \
                (d <= self.projects["window_end"].to_numpy(dtype="datetime64[s]")[pidx])
            pos, pidx = pos[keep], pidx[keep]
        return pd.DataFrame({"pos": pos, "project_code": pd.Categorical.from_codes(pidx, self.project_codes)})

    def owned(self, table: str, date_column: str | None = None) -> pd.DataFrame:
        """The rows of ``table`` owned by a project, with ``project_code`` first (cached in ``self.cache``:
        ``functools.cache`` on the method would keep every context alive in its class-wide cache)."""
        key = ("owned", table, date_column)
        if key not in self.cache:
            self.cache[key] = self._owned(table, date_column)
        return self.cache[key]

    def _owned(self, table: str, date_column: str | None) -> pd.DataFrame:
        frame = self.ds[table]
        station = self.ds.station_column(table)
        dates = frame[date_column] if date_column else None
        owner = self.assign(frame, station, dates)
        rows = frame.iloc[owner["pos"].to_numpy()].reset_index(drop=True)
        rows.insert(0, "project_code", owner["project_code"].array)
        return rows

    # -- evidence ------------------------------------------------------------------

    @functools.cached_property
    def services(self) -> pd.DataFrame:
        """Service records owned by a project, with evidence (``valid``, ``reason_code``, ``reason``) and month.

        Text columns are plain object arrays (``objects``): pandas would otherwise check every one of the
        two million values again to make them strings, and the rules only read them back as arrays.
        """
        s = self.ds.services
        owner = self.assign(s, s["station_code"], s["date"])
        pos = owner["pos"].to_numpy()
        ev = self._photo_verdicts(s, owner)
        out = pd.DataFrame({
            "project_code": owner["project_code"].array,
            "code": as_object(objects(s["code"])[pos]),
            "date": s["date"].to_numpy()[pos],
            "domain": _taken_categories(s["domain"], pos),
            "category": _taken_categories(s["category"], pos),
            "uploaded": s["uploaded"].fillna(False).to_numpy(dtype=bool)[pos],
            "valid": ev["valid"],
            "reason_code": as_object(ev["reason_code"]),
            "reason": as_object(ev["reason"]),
            "orig": pos,
        })
        out["month"] = month_number(out["date"])
        return out

    def _photo_verdicts(self, s: pd.DataFrame, owner: pd.DataFrame) -> dict[str, np.ndarray]:
        """``valid``, ``reason_code``, ``reason`` of each owned service: by file name, or by the photo index
        with the settings of the owning project's catalogue (``indicators.photos``)."""
        pos = owner["pos"].to_numpy()
        base = fast_photo_check(s, ["code"])
        out = {k: base[k].to_numpy(dtype=bool if k == "valid" else object)[pos] for k in ("valid", "reason_code", "reason")}
        cat_of = self.projects["catalogue"].to_numpy(dtype=object)[owner["project_code"].cat.codes.to_numpy()]
        for cat_id, cat in self.catalogues.items():
            found = findings_for(self, cat)
            if found is None:
                break
            judged = indexed_check(found, "services", s, base, cat.photo_actions)
            sel = cat_of == cat_id
            for k in out:
                out[k][sel] = judged[k].to_numpy(dtype=bool if k == "valid" else object)[pos[sel]]
        return out

    @functools.cached_property
    def service_index(self) -> dict:
        """Row positions of ``services`` per (catalogue, domain, category)."""
        s = self.services
        cat = self.projects["catalogue"].to_numpy(dtype=object)[s["project_code"].cat.codes.to_numpy()]
        return s.groupby([cat, s["domain"], s["category"]], observed=True, sort=False).indices

    def service_rows(self, catalogue: str, domains, categories) -> pd.DataFrame:
        """Services of the catalogue's projects in any of the domains and categories (``None`` = all)."""
        idx = [v for (c, d, k), v in self.service_index.items() if c == catalogue
               and (not domains or d in domains) and (not categories or k in categories)]
        if not idx:
            return self.services.iloc[0:0]
        return self.services.iloc[np.sort(np.concatenate(idx))]


def fast_photo_check(frame: pd.DataFrame, id_columns: list[str]) -> pd.DataFrame:
    """``evidence.photo_check`` of every row, computed only where a photo file is shared.

    A record whose photo files no other record uses is valid exactly when it
    has a photo, so only the records that share a file go through
    ``photo_check`` (which decides who used it first); the result is the same.
    ``reason_code`` and ``reason`` are object columns (None where valid).
    """
    photos = frame["photos"]
    has = photos.notna().to_numpy()
    code = np.full(len(frame), None, dtype=object)
    code[~has] = "no_photo"
    reason = np.full(len(frame), None, dtype=object)
    reason[~has] = photo_check_reason("no_photo")
    out = pd.DataFrame({"valid": has, "reason_code": pd.Series(code, index=frame.index, dtype=object),
                        "reason": pd.Series(reason, index=frame.index, dtype=object)}, index=frame.index)
    texts = objects(photos)[has]
    multi = np.fromiter(map(operator.contains, texts, itertools.repeat(LIST_SEPARATOR)), dtype=bool, count=len(texts))
    if multi.any():
        text = photos[has]
        files = pd.concat([text[~multi], split_list(text[multi])])
        file_texts, file_index = objects(files), files.index.to_numpy()
    else:
        file_texts, file_index = texts, frame.index.to_numpy()[has]
    shared = file_index[_maybe_shared(file_texts)]
    if len(shared):
        rows = frame.loc[np.unique(shared)]
        checked = photo_check(rows, id_columns)
        reused = checked["reason_code"] == REUSED_PHOTO
        checked.loc[reused, "reason"] = [
            f"照片「{p}」已由记录 {first} 使用，重复照片只认定一次"
            for p, first in zip(rows.loc[reused[reused].index, "photos"], checked.loc[reused, "reused_from"])]
        out.loc[checked.index, ["valid", "reason_code", "reason"]] = checked[["valid", "reason_code", "reason"]]
    return out


def _taken_categories(values: pd.Series, pos: np.ndarray) -> pd.Categorical:
    """The values at ``pos`` as a categorical (categories in order of appearance in the whole column),
    the column factorised once and its codes taken."""
    codes, uniques = pd.factorize(objects(values))
    return pd.Categorical.from_codes(codes[pos], uniques)


def _maybe_shared(files: np.ndarray) -> np.ndarray:
    """Files that may occur more than once: every repeated file, and the rare file whose 64-bit hash repeats.

    Python's own string hash (cached on each string) and repeated integers found by sorting them are
    several times faster than finding repeated strings; a hash collision only sends a record through
    the exact ``photo_check``, which gives an unshared record the same verdict.
    """
    hashes = np.fromiter(map(hash, files), dtype=np.int64, count=len(files))
    # only hashes whose low bits repeat can repeat: counting those (one pass) leaves a fraction to sort
    buckets = 1 << min(24, max(1, 2 * len(hashes) - 1).bit_length())
    low = hashes & (buckets - 1)
    candidates = np.flatnonzero(np.bincount(low, minlength=buckets)[low] > 1)
    order = candidates[np.argsort(hashes[candidates])]
    same = hashes[order][1:] == hashes[order][:-1]
    out = np.zeros(len(hashes), dtype=bool)
    out[order[1:][same]] = True
    out[order[:-1][same]] = True
    return out


def photo_check_reason(code: str) -> str:
    return REASONS[code]


def _township_of(ds) -> pd.Series:
    """Station code → the township station it belongs to (itself for a township, None above)."""
    st = ds.stations.set_index("code")
    township = pd.Series(np.where(st["level"] == "乡镇街道站", st.index, None), index=st.index, dtype=object)
    parent = st["parent_code"]
    for _ in range(4):  # village rooms sit one level below; allow deeper trees
        missing = township.isna() & parent.notna()
        if not missing.any():
            break
        township[missing] = parent[missing].map(township)
        parent = parent.map(st["parent_code"]).where(missing)
    return township


def catalogue_finder(extra=()):
    """A lookup by id or title that tries the given catalogues first, then the shipped ones."""
    extra = list(extra)

    def find(name: str) -> Catalogue:
        for cat in extra:
            if fold(name) in (fold(cat.id), fold(cat.title)):
                return cat
        return load_catalogue(name)

    return find


def resolve_projects(ds, wanted=None, find=load_catalogue) -> pd.DataFrame:
    """The projects to evaluate, with catalogue id, tier and chosen optional tasks resolved.

    Every project whose catalogue, tier or optional task cannot be resolved is
    reported at once (``DataError``).
    """
    p = ds.projects
    if wanted is not None:
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        p = p[p["code"].isin(wanted)]
    stations = ds.stations.set_index("code")
    # plain dicts: a lookup per project in a Series indexed by text costs far more (1,000 projects)
    level_of = dict(zip(stations.index, stations["level"]))
    name_of = dict(zip(stations.index, stations["name"]))
    problems, rows = [], []
    find = functools.cache(find)
    for r in p.itertuples(index=False):  # one per project, never per record
        def bad(column, message, value, code=r.code):
            problems.append(Problem("bad_project", message, where="项目", column=column, value=value, key=(code,)))
        try:
            cat = find(r.catalogue)
        except NotFoundError as exc:  # carries the list of known catalogues
            bad("指标清单", f"项目 {r.code}：{exc}", r.catalogue)
            continue
        try:
            tier = cat.resolve_tier(r.tier)
        except ValueError as exc:
            bad("档位", f"项目 {r.code}：{exc}", r.tier)
            continue
        chosen = [t.strip() for t in str(r.optional_tasks).split(LIST_SEPARATOR) if t.strip()] \
            if isinstance(r.optional_tasks, str) else []
        tasks = []
        for name in chosen:
            task = cat.resolve_task(name)
            if task is None:
                names = "、".join(f"{t.id} {t.name}" for t in cat.optional_tasks) or "本清单没有自选任务"
                bad("自选任务", f"项目 {r.code}：自选任务「{name}」不在清单中（{names}）", name)
            elif task.id not in tasks:
                tasks.append(task.id)
        level = level_of.get(r.station_code)
        if not isinstance(level, str) or level != "乡镇街道站":  # NA when the station row has no level
            bad("站点编码", f"项目 {r.code}：项目应属于乡镇街道站，站点 {r.station_code} 的层级是 {level}", r.station_code)
            continue
        rows.append({"code": r.code, "station_code": r.station_code, "station_name": name_of.get(r.station_code),
                     "start": r.start, "end": r.end, "catalogue": cat.id, "tier": tier, "tasks": tuple(tasks)})
    if problems:
        raise DataError(problems)
    cols = ["code", "station_code", "station_name", "start", "end", "catalogue", "tier", "tasks"]
    out = pd.DataFrame(rows, columns=cols)
    out["start"] = pd.to_datetime(out["start"])
    out["end"] = pd.to_datetime(out["end"])
    return out


def catalogue_problems(ds) -> list[Problem]:
    """Projects whose 指标清单, 档位 or 自选任务 is not in the shipped catalogues (allowed values named).

    Checked on import (``ledger.import_workbook``): data built in code may name catalogues of its own,
    which are handed to the evaluation directly.
    """
    if ds.projects.empty:
        return []
    try:
        resolve_projects(ds)
    except DataError as exc:
        return exc.problems
    return []
