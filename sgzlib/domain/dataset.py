"""A station's or a district's data: one DataFrame per table of ``schema``.

A ``Dataset`` is plain data. The analysis layers (lifecycles, indicators,
outcomes) read it; storage loads and saves it; the importer and the demo
generator build it. ``validate`` checks what must hold across tables (keys
unique, references known): ``key_problems``, ``reference_problems``, ``stored_value_problems``; every check of
a dataset together is ``validation.problems``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import Problem
from . import schema
from .vocab import LIST_SEPARATOR

# Frames a dataset may carry besides the ledger tables, each with a station_code: the photo index
# (``sgzlib.photos``, sgz photos scan), the first-seen dates of dated rows (``sgzlib.store.first_seen``) and the
# evaluators' decisions (``DECISION_FRAMES``: spending overrules and checklist verdicts, ``store``).
DECISION_FRAMES = ("spending_overrules", "checklist_verifications")
EXTRA_FRAMES = ("photo_files", "first_seen") + DECISION_FRAMES


@dataclass
class Dataset:
    """One DataFrame per table, with the declared columns and dtypes."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for t in schema.TABLES:
            frame = self.frames.get(t.name)
            self.frames[t.name] = schema.empty_frame(t) if frame is None else schema.coerce_frame(t, frame)

    @classmethod
    def of_declared(cls, frames: dict[str, pd.DataFrame]) -> Dataset:
        """A dataset of frames that already have exactly the declared columns, dtypes and a default index.

        For bulk readers and generators that build the frames in their declared form: skips the
        column-by-column coercion of the constructor (which would give the same frames).
        """
        ds = cls.__new__(cls)
        ds.frames = {t.name: frames[t.name] if t.name in frames else schema.empty_frame(t) for t in schema.TABLES}
        return ds

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.frames[table]

    def __getattr__(self, table: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if table in frames:
            return frames[table]
        raise AttributeError(table)

    def sizes(self) -> dict[str, int]:
        """Rows per ledger table (the photo index, when loaded, is not a ledger table)."""
        return {t.name: len(self.frames[t.name]) for t in schema.TABLES}

    # -- the station tree -------------------------------------------------

    def descendants(self, codes: str | list[str]) -> list[str]:
        """The given stations and every station below them, in tree order."""
        wanted = [codes] if isinstance(codes, str) else list(codes)
        children = self.stations.groupby("parent_code")["code"].apply(list).to_dict()
        out, queue = [], list(wanted)
        while queue:
            code = queue.pop(0)
            if code in out:
                continue
            out.append(code)
            queue.extend(children.get(code, []))
        return out

    def station_column(self, table: str) -> pd.Series:
        """The station code of every row of ``table`` (following parents where needed)."""
        frame = self.frames[table]
        t = schema.TABLE_BY_NAME[table]
        if t.station_column:
            return frame[t.station_column]
        parent, local = schema.STATION_VIA[table]
        lookup = self.frames[parent].set_index("code")["station_code"]
        return frame[local].map(lookup).astype("string")

    def subset(self, station_codes: str | list[str]) -> Dataset:
        """Only the rows that belong to these stations and the stations below them."""
        keep = set(self.descendants(station_codes))
        frames = {}
        for t in schema.TABLES:
            mask = self.station_column(t.name).isin(keep)
            frames[t.name] = self.frames[t.name][mask.fillna(False).to_numpy()]
        out = Dataset(frames)
        for extra in EXTRA_FRAMES:  # not ledger sheets
            frame = self.frames.get(extra)
            if frame is not None:
                out.frames[extra] = frame[frame["station_code"].isin(keep).to_numpy(dtype=bool)].reset_index(drop=True)
        return out


def split_list(series: pd.Series) -> pd.Series:
    """Explode a ``list`` column into one row per value (index kept, blanks dropped)."""
    exploded = series.dropna().str.split(LIST_SEPARATOR).explode().str.strip()
    return exploded[exploded.notna() & (exploded != "")]


def stored_value_problems(ds: Dataset) -> list[Problem]:
    """Values outside what every database holds alike, or below their column's minimum (``schema.value_problems``)."""
    return [p for t in schema.TABLES for p in schema.value_problems(t, ds[t.name])]


def key_problems(ds: Dataset) -> list[Problem]:
    """Rows that share a natural key."""
    out = []
    for t in schema.TABLES:
        frame = ds[t.name]
        dup = frame[frame.duplicated(list(t.key), keep="first")]
        for _, row in dup.iterrows():
            key = tuple(row[k] for k in t.key)
            out.append(Problem(
                "duplicate_key", f"{'、'.join(t.column(k).header for k in t.key)}重复：同一编码出现了不止一次",
                where=t.sheet, column=t.column(t.key[0]).header, value="/".join(map(str, key)), key=key))
    return out


def reference_problems(ds: Dataset) -> list[Problem]:
    """Codes that point to a station, beneficiary, case, group or worker that does not exist."""
    out = []
    for t in schema.TABLES:
        frame = ds[t.name]
        for c in t.columns:
            if not c.ref:
                continue
            target_table, target_col = c.ref.split(".")
            known = set(ds[target_table][target_col].dropna())
            values = split_list(frame[c.name]) if c.kind == "list" else frame[c.name].dropna()
            bad = values[~values.isin(known)]
            for idx, value in bad.items():
                key = tuple(frame.at[idx, k] for k in t.key)
                target = schema.TABLE_BY_NAME[target_table]
                out.append(Problem(
                    "unknown_reference", f"{c.header}「{value}」在「{target.sheet}」中不存在",
                    where=t.sheet, column=c.header, value=value, key=key))
    return out
