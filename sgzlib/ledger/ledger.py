"""What a workbook held: per table, the clean rows and the Excel place of each row.

A ``Ledger`` is the reader's result. It keeps, for every row, the sheet and
the row number as Excel shows them, so that a problem found later on the
``Dataset`` (which only knows natural keys) can be sent back to the cell a
station worker has to fix (``locate``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..domain import schema
from ..domain.dataset import Dataset
from ..errors import Problem

Place = tuple[str, int]  # (sheet title as in the workbook, Excel row)
DB_PREFIX = "数据库中已有的记录（不在本工作簿中）："


@dataclass
class SheetRead:
    """One worksheet as read: where its header is, which column is which, the parsed values."""

    title: str
    table: schema.Table
    header_row: int | None = None
    index: dict[str, int] = field(default_factory=dict)  # column name -> 0-based position
    factors: dict[str, float] = field(default_factory=dict)
    letters: dict[str, str] = field(default_factory=dict)  # declared header -> column letter
    problems: list[Problem] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    values: dict[str, list] = field(default_factory=dict)
    key_ok: list[bool] = field(default_factory=list)
    empty: bool = False  # nothing at all on the sheet: the table with no rows

    @property
    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.table.columns}

    @property
    def usable(self) -> bool:
        """Whether its rows can be imported: a header row naming every key column, or an empty sheet."""
        return self.empty or (self.header_row is not None and all(k in self.index for k in self.table.key))

    def frame(self) -> tuple[pd.DataFrame, list[Place]]:
        """Rows whose key could be read, with the declared dtypes, and their places."""
        keep = np.array(self.key_ok, dtype=bool)
        data = {name: pd.Series(vals, dtype="object")[keep] for name, vals in self.values.items()}
        frame = schema.coerce_frame(self.table, pd.DataFrame(data, index=np.flatnonzero(keep)))
        places = [(self.title, r) for r, ok in zip(self.rows, self.key_ok) if ok]
        return frame, places


@dataclass
class Ledger:
    """Everything read from one workbook."""

    sheets: list[SheetRead] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    masked: bool = False
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    places: dict[str, list[Place]] = field(default_factory=dict)
    _rowmaps: dict[str, dict[tuple, Place]] = field(default_factory=dict)

    @classmethod
    def of_frames(cls, frames: dict[str, pd.DataFrame], title: str, rows: dict[str, list[int]]) -> Ledger:
        """Rows entered in a form (``actions``) as if read from a workbook: the table's rows under ``title``,
        row ``rows[table][i]`` of the form (e.g. its agenda item number) for a problem to point at."""
        out = cls()
        for name, frame in frames.items():
            t = schema.TABLE_BY_NAME[name]
            out.add(SheetRead(title, t, header_row=1, index={c: i for i, c in enumerate(t.names)}))
            out.frames[name] = schema.coerce_frame(t, frame)
            out.places[name] = [(title, r) for r in rows[name]]
        return out

    def add(self, sheet: SheetRead) -> None:
        self.sheets.append(sheet)

    @property
    def tables(self) -> list[str]:
        """Tables this workbook speaks for (a usable sheet of theirs is present), in schema order."""
        present = {s.table.name for s in self.sheets if s.usable}
        return [t.name for t in schema.TABLES if t.name in present]

    def all_problems(self) -> list[Problem]:
        return [p for s in self.sheets for p in s.problems] + self.problems

    def letters(self) -> dict[tuple[str, str], str]:
        """(sheet title, declared header) → column letter, for the errors workbook."""
        return {(s.title, h): letter for s in self.sheets for h, letter in s.letters.items()}

    def finish(self) -> None:
        """Join the sheets of each table, settle repeated keys, coerce dtypes."""
        for name in self.tables:
            parts = [s.frame() for s in self.sheets if s.table.name == name and s.usable]
            frame = pd.concat([p[0] for p in parts], ignore_index=True)
            places = [pl for p in parts for pl in p[1]]
            frame, places = self._settle_duplicates(schema.TABLE_BY_NAME[name], frame, places)
            self.frames[name] = frame
            self.places[name] = places

    def resettle(self, name: str) -> None:
        """Settle repeated keys of one table again, after its codes were rewritten (``codes.reconcile``)."""
        t = schema.TABLE_BY_NAME[name]
        self.frames[name], self.places[name] = self._settle_duplicates(t, self.frames[name], self.places[name])
        self._rowmaps.pop(name, None)

    def _settle_duplicates(self, t: schema.Table, frame: pd.DataFrame, places: list[Place]):
        """Identical repeated rows count once; a key repeated with other contents is a problem."""
        key = list(t.key)
        exact = frame.duplicated(keep="first").to_numpy()
        clash = frame.duplicated(key, keep=False).to_numpy() & ~exact
        if not exact.any() and not clash.any():
            return frame, places
        first: dict[tuple, int] = {}
        drop = exact.copy()
        for i, k in enumerate(frame[key].itertuples(index=False, name=None)):
            k = norm_key(k)
            if exact[i]:
                title, row = places[i]
                f_title, f_row = places[first[k]] if k in first else places[i]
                self.notes.append(f"工作表「{title}」第{row}行与「{f_title}」第{f_row}行完全相同，只计一次")
                continue
            if k in first and clash[i]:
                title, row = places[i]
                f_title, f_row = places[first[k]]
                where = f"第{f_row}行" if f_title == title else f"「{f_title}」第{f_row}行"
                self.problems.append(Problem(
                    "duplicate_key", f"{'、'.join(t.column(c).header for c in key)}与{where}相同，但内容不同："
                    f"同一编码只能出现一次，请删去或改正其中一行",
                    where=title, row=row, column=t.column(key[-1]).header, value="/".join(map(_show, k)),
                    key=k))
                drop[i] = True
                continue
            first.setdefault(k, i)
        keep = ~drop
        return frame[keep].reset_index(drop=True), [p for p, ok in zip(places, keep) if ok]

    def dataset(self) -> Dataset:
        return Dataset(dict(self.frames))

    def rowmap(self, table: str) -> dict[tuple, Place]:
        if table not in self._rowmaps:
            t = schema.TABLE_BY_NAME[table]
            keys = self.frames[table][list(t.key)].itertuples(index=False, name=None)
            self._rowmaps[table] = {norm_key(k): p for k, p in zip(keys, self.places[table])}
        return self._rowmaps[table]

    def locate(self, problems: list[Problem]) -> list[Problem]:
        """Problems found on the ``Dataset`` with the sheet and Excel row of the row they are about."""
        out = []
        for p in problems:
            t = schema.TABLE_BY_SHEET.get(p.where)
            if p.row is not None or t is None:
                out.append(p)
                continue
            place = self.rowmap(t.name).get(norm_key(p.key)) if t.name in self.frames else None
            if place is not None:
                out.append(replace(p, where=place[0], row=place[1]))
            else:
                out.append(replace(p, message=DB_PREFIX + p.message))
        return out

    def sort(self, problems: list[Problem]) -> list[Problem]:
        """In workbook order: sheet by sheet, row by row; database rows last."""
        order = {s.title: i for i, s in enumerate(self.sheets)}
        return sorted(problems, key=lambda p: (p.row is None and p.where not in order, order.get(p.where, 99),
                                               p.row or 0))


def norm_key(values) -> tuple:
    """A natural key in plain comparable form (dates as ISO text, whole numbers as ``int``)."""
    out = []
    for v in values:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            out.append(None)
        elif isinstance(v, dt.datetime):
            out.append(v.date().isoformat())
        elif isinstance(v, dt.date):
            out.append(v.isoformat())
        elif isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
        elif isinstance(v, (int, np.integer)):
            out.append(int(v))
        elif isinstance(v, (float, np.floating)):
            out.append(int(v) if float(v).is_integer() else float(v))
        else:
            out.append(str(v))
    return tuple(out)


def _show(v) -> str:
    return "" if v is None else str(v)
