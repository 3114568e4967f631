"""Importing a ledger workbook into the database: all or nothing, keyed by codes.

The workbook speaks for the stations it names (the 社工站 sheet, and every
station code of its rows) and for the tables whose sheets it has; a sheet
that is absent leaves its table alone. The state the database would be in
after the import (what it holds, with the workbook's rows put in by natural
key and, with ``prune``, the workbook's stations' rows that the workbook no
longer has taken out) is checked whole before anything is written, so a
problem caused by the workbook anywhere is reported with its Excel row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from .. import schema, storage, supervision_cycle
from ..dataset import Dataset
from ..errors import DataError, Problem
from . import codes
from .ledger import Ledger, norm_key
from .reader import Progress, read_workbook


@dataclass
class SheetSummary:
    """What the import found and did for one table."""

    table: str
    read: int
    new: list[tuple] = field(default_factory=list)
    changed: list[tuple] = field(default_factory=list)
    removed: list[tuple] = field(default_factory=list)  # in the database for these stations, not in the workbook

    @property
    def sheet(self) -> str:
        return schema.TABLE_BY_NAME[self.table].sheet

    @property
    def unchanged(self) -> int:
        return self.read - len(self.new) - len(self.changed)


@dataclass
class ImportResult:
    """The per-sheet summary of an import, and the reader's notes."""

    sheets: list[SheetSummary]
    stations: list[str]
    notes: list[str]
    dry_run: bool = False
    pruned: bool = False

    @property
    def changed_anything(self) -> bool:
        return any(s.new or s.changed or (self.pruned and s.removed) for s in self.sheets)

    def counts(self) -> pd.DataFrame:
        """One row per sheet, Chinese column names (the CLI prints this)."""
        gone = "已删除" if self.pruned else "库中有而本次没有"
        return pd.DataFrame([{"工作表": s.sheet, "读入": s.read, "新增": len(s.new), "修改": len(s.changed),
                              "未变": s.unchanged, gone: len(s.removed)} for s in self.sheets])


def import_workbook(engine: sa.Engine, path: str | Path, *, prune: bool = False, dry_run: bool = False,
                    progress: Progress | None = None) -> ImportResult:
    """Read the workbook, check it against the database, and write it in one transaction.

    Raises ``DataError`` with every problem (sheet, Excel row, column, value,
    reason) when anything is wrong; then nothing is written.
    """
    ledger = read_workbook(path, progress)
    if ledger.masked:
        raise _refused(ledger, [Problem("masked_workbook", "这是脱敏导出的工作簿（姓名、电话、身份证号已部分隐藏），"
                                 "不能导入，否则会用打星号的内容覆盖原始数据", where=Path(path).name)])
    if not ledger.tables and not ledger.all_problems():
        raise _refused(ledger, [Problem("no_sheets", "工作簿中没有可识别的台账工作表（工作表名应为 "
                                 f"{'、'.join(t.sheet for t in schema.TABLES)} 之一）", where=Path(path).name)])
    current = storage.load_dataset(engine)
    codes.reconcile(ledger, current)  # codes without their leading zeros, matched across sheets and the database
    supervision_cycle.add_history(ledger, current)  # a recorded session appends to the action item history
    scope = workbook_stations(ledger, current)
    after, removed = state_after(current, ledger, scope, prune)
    if ledger.all_problems():
        raise _refused(ledger, ledger.sort(ledger.all_problems() + ledger.locate(after.problems())))
    try:  # write_dataset checks the whole state first and writes nothing when it finds a problem
        written = storage.write_dataset(engine, after, prune=prune, dry_run=dry_run)
    except DataError as exc:
        raise _refused(ledger, ledger.sort(ledger.locate(exc.problems))) from None
    sheets = [SheetSummary(name, len(ledger.frames[name]), written.tables[name].new,
                           written.tables[name].changed, removed[name]) for name in ledger.tables]
    return ImportResult(sheets, sorted(scope), ledger.notes, dry_run, prune)


def _refused(ledger: Ledger, problems: list[Problem]) -> DataError:
    """The error to raise, carrying the column letters of the workbook for the errors sheet."""
    error = DataError(problems)
    error.letters = ledger.letters()
    return error


def key_text(key: tuple) -> str:
    """A natural key for people: dates as 2026-03-05, parts joined by /."""
    return "/".join("" if v is None else str(v) for v in norm_key(key))


def workbook_stations(ledger: Ledger, current: Dataset) -> set[str]:
    """The stations the workbook speaks for: those it lists and those its rows belong to."""
    frames = ledger.frames
    codes: set[str] = set()
    for name, frame in frames.items():
        t = schema.TABLE_BY_NAME[name]
        if t.station_column:
            codes |= set(frame[t.station_column].dropna())
            continue
        parent, local = schema.STATION_VIA[name]
        lookup = current[parent].set_index("code")["station_code"]
        if parent in frames:
            lookup = pd.concat([lookup, frames[parent].set_index("code")["station_code"]])
            lookup = lookup[~lookup.index.duplicated(keep="last")]
        codes |= set(frame[local].map(lookup).dropna())
    return codes


def state_after(current: Dataset, ledger: Ledger, scope: set[str], prune: bool) -> tuple[Dataset, dict]:
    """The whole database as it would be after the import, and per table the keys no longer in the workbook."""
    frames, removed = {}, {}
    for t in schema.TABLES:
        old = current[t.name]
        if t.name not in ledger.frames:
            frames[t.name] = old
            continue
        new = ledger.frames[t.name]
        key = list(t.key)
        in_new = _key_index(old, key).isin(_key_index(new, key))
        in_scope = current.station_column(t.name).isin(scope).fillna(False).to_numpy(dtype=bool)
        gone = ~in_new & in_scope
        removed[t.name] = list(old.loc[gone, key].itertuples(index=False, name=None))
        keep = ~in_new & (~in_scope if prune else True)
        frames[t.name] = pd.concat([old[keep], new], ignore_index=True) if len(old) else new
    return Dataset(frames), removed


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]])
    return pd.MultiIndex.from_frame(frame[key])
