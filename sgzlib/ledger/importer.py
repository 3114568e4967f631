"""Importing a ledger workbook into the database: all or nothing, keyed by codes, one station at a time.

The workbook speaks for the stations it names (the 社工站 sheet, and every
station code of its rows) and for the tables whose sheets it has; a sheet
that is absent leaves its table alone. In one write transaction the import
locks those stations, reads their rows and the rows they refer to (other
stations' people, cases, groups, the stations above and their projects, and,
with ``prune``, other stations' rows that point at rows it would delete),
checks the state those rows would be in after the import, so a problem caused
by the workbook anywhere is reported with its Excel row, and writes the
difference. Other stations' rows are neither read nor written.

Before any of that the workbook itself is checked: a masked export (by its
document property, its 说明 sheet, or masked values in the personal columns)
is refused with the rows named.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ..domain import schema
from ..domain.dataset import Dataset, split_list
from ..domain.validation import problems as dataset_problems
from ..errors import DataError, Problem
from ..indicators.context import catalogue_problems
from ..runtime import faults
from ..store import access, audit, signoffs, storage
from ..store.privacy import PERSONAL_TABLES
from . import codes, supervision_book
from .ledger import Ledger, norm_key
from .reader import Progress, read_workbook
from .stray import stray_rows


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
    signoff_changes: list = field(default_factory=list)  # store.signoffs.SignoffChange: lapsed or, dry, would lapse
    ledger: Ledger | None = field(default=None, repr=False)  # what was read (the rows behind the counts)

    @property
    def changed_anything(self) -> bool:
        return any(s.new or s.changed or (self.pruned and s.removed) for s in self.sheets)

    def counts(self) -> pd.DataFrame:
        """One row per sheet, Chinese column names (the CLI prints this)."""
        gone = "已删除" if self.pruned else "库中有而本次没有"
        return pd.DataFrame([{"工作表": s.sheet, "读入": s.read, "新增": len(s.new), "修改": len(s.changed),
                              "未变": s.unchanged, gone: len(s.removed)} for s in self.sheets])


DEADLOCK_RETRIES = 5


def import_workbook(engine: sa.Engine, path: str | Path, *, prune: bool = False, dry_run: bool = False,
                    progress: Progress | None = None, seen_on: dt.date | None = None, user: access.User | None = None,
                    accept_signoff_changes: bool = False) -> ImportResult:
    """Read the workbook, check it against the database, and write it in one transaction.

    The transaction locks the workbook's stations first (SQLite: the whole
    database's write lock; PostgreSQL: an advisory lock per station, shared
    for stations only read for references), then reads only those stations'
    rows and the rows they refer to, checks the state after the import and
    writes the difference. Two imports of the same stations therefore run one
    after the other; imports of different stations run side by side.

    Every dated row the import adds is recorded as first seen on ``seen_on`` (default today), in the same
    transaction (``store.first_seen``: the 补录 check reads it).

    Raises ``DataError`` with every problem (sheet, Excel row, column, value,
    reason) when anything is wrong; then nothing is written. ``user``: who
    imports, when the connection is not theirs (a browser page's user on
    SQLite): named in the audit row and held to their role and scope
    (``access.check_import``; the database holds its own logins to them).
    An import that would change the figures of a signed-off project raises
    ``signoffs.SignoffConflict`` unless ``accept_signoff_changes`` (then the
    sign-off is marked 已失效 in the same transaction; ``store.signoffs``).
    """
    ledger = read_workbook(path, progress)
    if ledger.masked:
        raise _refused(ledger, [Problem("masked_workbook", "这是脱敏导出的工作簿（姓名、电话、身份证号已部分隐藏），"
                                 "不能导入，否则会用打星号的内容覆盖原始数据", where=Path(path).name)])
    masked = masked_values(ledger)
    if masked:
        raise _refused(ledger, masked)
    if not ledger.tables and not ledger.all_problems():
        raise _refused(ledger, [Problem("no_sheets", "工作簿中没有可识别的台账工作表（工作表名应为 "
                                 f"{'、'.join(t.sheet for t in schema.TABLES)} 之一）", where=Path(path).name)])
    source = Source(Path(path).name, audit.file_sha256(path), user=user)
    return import_ledger(engine, ledger, source, prune=prune, dry_run=dry_run,
                         accept_signoff_changes=accept_signoff_changes, seen_on=seen_on)


@dataclass(frozen=True)
class Source:
    """Where a ledger came from, for the audit row: a workbook (name, SHA-256), or a form (``actions``: its
    audit action, e.g. ``supervision``, and a detail line)."""

    name: str
    sha256: str | None = None
    action: str = "import"
    detail: str | None = None
    user: access.User | None = None  # who acts, when the connection is not theirs (``access.check_import``)

    @property
    def login(self) -> str | None:
        return self.user.login if self.user else None


def import_ledger(engine: sa.Engine, ledger: Ledger, source: Source, *, prune: bool = False, dry_run: bool = False,
                  accept_signoff_changes: bool = False, seen_on: dt.date | None = None,
                  before_write: Callable[[sa.Connection], None] | None = None) -> ImportResult:
    """Check ``ledger`` against the database and write it in one locked transaction (``import_workbook``);
    also the write path of the forms (``actions``), so that a form and a workbook are validated alike.
    ``before_write(conn)`` runs once the stations are locked (a form's own checks of the state it changes)."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with storage.write_transaction(engine) as conn:
                return _import(conn, ledger, prune, dry_run, source, seen_on or dt.date.today(), accept_signoff_changes,
                               before_write)
        except sa.exc.DBAPIError as exc:
            if not storage.is_deadlock(exc) or attempt == DEADLOCK_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _import(conn: sa.Connection, ledger: Ledger, prune: bool, dry_run: bool, source: Source, seen_on: dt.date,
            accept_signoff_changes: bool, before_write=None) -> ImportResult:
    user = source.user
    access.check_import(conn, None, source.name, user)  # a read-only user: refused before anything is read
    codes.reconcile(ledger, _DatabaseKeys(conn))  # codes without their leading zeros, matched across sheets and the database
    scope = _lock_scope(conn, ledger)
    access.check_import(conn, scope, source.name, user, ledger.frames.get("stations"))
    stray = stray_rows(conn, ledger, scope) if prune else []
    if stray:
        raise _refused(ledger, ledger.sort(ledger.all_problems() + stray))
    if before_write is not None:
        before_write(conn)
    _record_history(conn, ledger)
    plan = Plan.read(conn, ledger, scope, prune)
    faults.point("import-read")
    problems = ledger.all_problems() + ledger.locate(plan.problems())
    if problems:
        raise _refused(ledger, ledger.sort(problems))
    lapsed = signoffs.import_changes(conn, scope, plan.after_frames)
    if lapsed and not dry_run and not accept_signoff_changes:
        raise signoffs.SignoffConflict(lapsed)
    written = [t.name for t in schema.TABLES if t.name in ledger.frames]  # the sheets', and what they derive
    changes = {name: storage.table_changes(schema.TABLE_BY_NAME[name], plan.old(name), ledger.frames[name])
               for name in written}
    login = audit.acting_login(conn, source.login)
    if not dry_run:
        storage.apply_changes(conn, ledger.frames, changes, prune, station_of=plan.station_of, seen_on=seen_on)
        signoffs.mark_stale(conn, lapsed, source.name, source.sha256, login)
    shown = [name for name in written if name in ledger.tables or changes[name].new or changes[name].changed]
    sheets = [SheetSummary(name, len(ledger.frames[name]), changes[name].new, changes[name].changed,
                           changes[name].removed) for name in shown]
    audit.record(conn, source.action, file_name=source.name, sha256=source.sha256, stations=scope,
                 new=sum(len(s.new) for s in sheets), changed=sum(len(s.changed) for s in sheets),
                 removed=sum(len(s.removed) for s in sheets) if prune else 0, dry_run=dry_run,
                 detail=_detail(source.detail, lapsed, dry_run), login=login)
    if not dry_run:
        faults.point("import-written")
    return ImportResult(sheets, sorted(scope), ledger.notes, dry_run, prune, lapsed, ledger)


def _detail(detail: str | None, lapsed: list, dry_run: bool) -> str | None:
    """The audit row's detail: the form's own line, and the sign-offs the import made lapse."""
    if lapsed:
        verb = "将使" if dry_run else "已使"
        detail = "；".join(filter(None, [detail, f"{verb}签字确认失效：{'、'.join(c.project for c in lapsed)}"]))
    return detail


def _record_history(conn: sa.Connection, ledger: Ledger) -> None:
    """A 督导议程记录 sheet also appends to the action item history (``supervision_book.add_history``).

    Runs inside the import's transaction, after its stations are locked: the history read here is the
    locked stations' own, and what the hook adds is written (or refused) with the rest of the workbook.
    """
    items = ledger.frames.get("supervision_items")
    if items is None:
        return
    stations = set(items["station_code"].dropna())
    current = Dataset({name: storage.read_by_values(conn, name, "station_code", stations)
                       for name in ("supervisions", "supervision_items", "action_history")})
    supervision_book.add_history(ledger, current)


def _lock_scope(conn: sa.Connection, ledger: Ledger) -> set[str]:
    """Lock the stations the workbook speaks for and those whose rows it takes over; return the former.

    What the workbook speaks for can depend on the database (a 个案服务 sheet
    belongs to the stations of its cases), so it is worked out again after
    locking until nothing new turns up.
    """
    locked: set[str] = set()
    while True:
        scope, moved = _stations_of(conn, ledger)
        wanted = scope | moved
        if wanted <= locked:
            return scope
        storage.lock_stations(conn, wanted - locked)
        locked |= wanted


def _stations_of(conn: sa.Connection, ledger: Ledger) -> tuple[set[str], set[str]]:
    """(the stations the workbook speaks for, the stations that now hold rows with the workbook's keys)."""
    frames = ledger.frames
    scope: set[str] = set()
    moved: set[str] = set()
    for name, frame in frames.items():
        t = schema.TABLE_BY_NAME[name]
        if t.station_column:
            scope |= set(frame[t.station_column].dropna())
            if len(t.key) == 1:
                there = storage.read_by_values(conn, name, t.key[0], frame[t.key[0]].dropna())
                moved |= set(there[t.station_column].dropna())
            continue
        parent, local = schema.STATION_VIA[name]
        codes = set(frame[local].dropna())
        if parent in frames:
            lookup = frames[parent].set_index("code")["station_code"]
            scope |= set(lookup.reindex(sorted(codes & set(lookup.index))).dropna())
            codes -= set(lookup.index)
        if codes:
            scope |= set(storage.read_by_values(conn, parent, "code", codes)["station_code"].dropna())
    return scope, moved - scope


class _DatabaseKeys:
    """The database's code columns, read one column at a time and only when ``codes.reconcile`` asks for one."""

    def __init__(self, conn: sa.Connection):
        self.conn, self.frames = conn, {}

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self.frames:
            self.frames[table] = storage.read_column(self.conn, table, schema.TABLE_BY_NAME[table].key[0])
        return self.frames[table]


@dataclass
class Plan:
    """The rows an import reads: its stations' rows, the rows it replaces, and the rows they refer to."""

    ledger: Ledger
    scope: set[str]
    prune: bool
    current: dict[str, pd.DataFrame]  # the scope's rows in the database
    replaced: dict[str, pd.DataFrame]  # rows of other stations with the workbook's keys (moved to these stations)
    context: dict[str, pd.DataFrame] = field(default_factory=dict)  # other stations' rows, read for checks only
    removed: dict[str, set] = field(default_factory=dict)  # table -> codes the import deletes (with prune)

    @classmethod
    def read(cls, conn: sa.Connection, ledger: Ledger, scope: set[str], prune: bool) -> Plan:
        current = storage.read_scope(conn, scope)
        replaced = {}
        for name, frame in ledger.frames.items():
            t = schema.TABLE_BY_NAME[name]
            if t.station_column and len(t.key) == 1:
                replaced[name] = storage.read_by_values(conn, name, t.key[0], frame[t.key[0]].dropna(),
                                                        outside=scope)
        plan = cls(ledger, scope, prune, current, replaced)
        shared: set[str] = set()
        while True:  # lock the other stations read for checks (shared), then read them again if that waited
            plan._read_context(conn)
            others = plan._context_stations() - scope
            if others <= shared:
                return plan
            storage.lock_stations(conn, others - shared, shared=True)
            shared |= others

    def station_of(self, table: str) -> pd.Series:
        """The station code of every row of the workbook's ``table`` (a session through its case or group,
        in the workbook, the scope or the rows read for references)."""
        frame = self.ledger.frames[table]
        t = schema.TABLE_BY_NAME[table]
        if t.station_column:
            return frame[t.station_column]
        parent, local = schema.STATION_VIA[table]
        owners = pd.concat([self._after[parent], self.context[parent]], ignore_index=True)
        lookup = owners.drop_duplicates("code").set_index("code")["station_code"]
        return frame[local].map(lookup)

    def _context_stations(self) -> set[str]:
        codes = set(self.context["stations"]["code"].dropna())
        for t in schema.TABLES:
            if t.station_column and len(self.context[t.name]):
                codes |= set(self.context[t.name][t.station_column].dropna())
        return codes

    def old(self, name: str) -> pd.DataFrame:
        """What the database holds under this table's keys of the workbook, and the scope's rows."""
        frames = [f for f in (self.current[name], self.replaced.get(name)) if f is not None and len(f)]
        if not frames:
            return self.current[name]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def after(self) -> dict[str, pd.DataFrame]:
        """The scope's rows as they will be: the workbook's rows put in by key, pruned rows taken out."""
        out = {}
        for t in schema.TABLES:
            old = self.current[t.name]
            if t.name not in self.ledger.frames:
                out[t.name] = old
                continue
            new = self.ledger.frames[t.name]
            key = list(t.key)
            keep = ~_key_index(old, key).isin(_key_index(new, key)) if len(old) else None
            if keep is None or self.prune:
                out[t.name] = new
                if self.prune and len(old):
                    gone = old[keep]
                    if "code" in t.names:
                        self.removed[t.name] = set(gone["code"].dropna())
            else:
                out[t.name] = pd.concat([old[keep], new], ignore_index=True)
        return out

    def _read_context(self, conn: sa.Connection) -> None:
        """Other stations' rows the scope refers to (transitively, ancestors and their projects too), and
        other stations' rows that refer to rows the import deletes or rewrites (code columns)."""
        after = self.after()
        context = {t.name: schema.empty_frame(t) for t in schema.TABLES}
        while True:
            fetched = False
            for t in schema.TABLES:
                for c in t.columns:
                    if not c.ref:
                        continue
                    target, target_col = c.ref.split(".")
                    values = set()
                    for frames in (after, context):
                        series = frames[t.name][c.name]
                        values |= set(split_list(series) if c.kind == "list" else series.dropna())
                    known = set(after[target][target_col].dropna()) | set(context[target][target_col].dropna())
                    known |= self.removed.get(target, set())
                    missing = values - known
                    if missing:
                        rows = storage.read_by_values(conn, target, target_col, missing, outside=self.scope)
                        if len(rows):
                            context[target] = pd.concat([context[target], rows], ignore_index=True)
                            fetched = True
            if not fetched:
                break
        stations = set(context["stations"]["code"].dropna()) - self.scope
        if stations:
            context["projects"] = pd.concat([context["projects"], storage.read_by_values(
                conn, "projects", "station_code", stations)], ignore_index=True).drop_duplicates("code")
        forward = {name: frame.drop_duplicates(list(schema.TABLE_BY_NAME[name].key))
                   for name, frame in context.items()}
        reverse = {t.name: schema.empty_frame(t) for t in schema.TABLES}
        for t in schema.TABLES:  # rows elsewhere that point at rows this import deletes or rewrites
            for c in t.columns:
                if not c.ref or c.kind == "list":
                    continue
                target, target_col = c.ref.split(".")
                codes = set(self.removed.get(target, set()))
                if target in self.ledger.frames:
                    codes |= set(self.ledger.frames[target][target_col].dropna())
                if not codes:
                    continue
                rows = storage.read_by_values(conn, t.name, c.name, codes, outside=self.scope)
                if not len(rows):
                    continue
                reverse[t.name] = pd.concat([reverse[t.name], rows], ignore_index=True)
                if t.name in schema.STATION_VIA:
                    parent, local = schema.STATION_VIA[t.name]
                    owners = storage.read_by_values(conn, parent, "code", set(rows[local]))
                    forward[parent] = pd.concat([forward[parent], owners], ignore_index=True)
        self.context = {name: pd.concat([forward[name], reverse[name]], ignore_index=True)
                        .drop_duplicates(list(schema.TABLE_BY_NAME[name].key)) for name in forward}
        self.reverse_keys = {schema.TABLE_BY_NAME[name].sheet: _keys(name, frame)
                             for name, frame in reverse.items() if len(frame)}
        self._after = after

    @property
    def after_frames(self) -> dict[str, pd.DataFrame]:
        """The scope's rows of every table as they will be after the import."""
        return self._after

    def problems(self) -> list[Problem]:
        """The problems of the scope after the import, and the references elsewhere that it would break."""
        after = self._after
        frames = {name: pd.concat([after[name], self.context[name]], ignore_index=True)
                  if len(self.context[name]) else after[name] for name in after}
        context_keys = {schema.TABLE_BY_NAME[name].sheet: _keys(name, frame)
                        for name, frame in self.context.items() if len(frame)}
        gone = set().union(*self.removed.values()) if self.removed else set()
        out = []
        ds = Dataset(frames)
        for p in dataset_problems(ds) + catalogue_problems(ds):
            key = norm_key(p.key)
            if p.where in context_keys and key in context_keys[p.where]:
                if key not in self.reverse_keys.get(p.where, ()):
                    continue  # a row read only because the import's rows refer to it: its own business
                if not (p.code == "before_joined" or (p.code == "unknown_reference" and p.value in gone)):
                    continue
            out.append(p)
        return out


# What masking puts in place of hidden characters (``privacy``: 张*三, 139****6250, 150702********8123), in
# the forms a spreadsheet program or a person may turn it into.
MASK_GLYPHS = re.compile(r"[*＊∗●•·×Ｘ]{1,}|x{4,}|X{4,}")


def masked_values(ledger: Ledger) -> list[Problem]:
    """Names, phones and ID numbers that are masked: such a workbook would overwrite real data with stars."""
    out = []
    for table, columns in PERSONAL_TABLES.items():
        frame = ledger.frames.get(table)
        if frame is None:
            continue
        t = schema.TABLE_BY_NAME[table]
        for name in columns:
            values = frame[name].dropna().astype(str)
            hits = values[values.str.contains(MASK_GLYPHS).to_numpy(dtype=bool)]
            for idx, value in hits.items():
                title, row = ledger.places[table][idx]
                out.append(Problem("masked_value", "这是脱敏后的内容（部分字符已用星号等隐藏），不能导入，"
                                   "否则会用打星号的内容覆盖原始数据；请用未脱敏的台账导入", where=title, row=row,
                                   column=t.column(name).header, value=value))
    return ledger.sort(out)


def _refused(ledger: Ledger, problems: list[Problem]) -> DataError:
    """The error to raise, carrying the column letters of the workbook for the errors sheet."""
    error = DataError(problems)
    error.letters = ledger.letters()
    return error


def key_text(key: tuple) -> str:
    """A natural key for people: dates as 2026-03-05, parts joined by /."""
    return "/".join("" if v is None else str(v) for v in norm_key(key))


def _keys(name: str, frame: pd.DataFrame) -> set[tuple]:
    return {norm_key(k) for k in frame[list(schema.TABLE_BY_NAME[name].key)].itertuples(index=False, name=None)}


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.Index:
    if len(key) == 1:
        return pd.Index(frame[key[0]])
    return pd.MultiIndex.from_frame(frame[key])
