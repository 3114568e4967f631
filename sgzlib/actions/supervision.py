"""督导记录 in the browser: a supervisor records a session at a station in scope, and changes an open action
item's status between sessions.

- ``prepare(wb, engine, station, date)``: what the form shows: the station report's agenda (the same
  ``Workbench.attention(...).agenda``) and the open action items to review, as the rows of the pre-filled
  督导记录 workbook (``ledger.supervision_book.session_rows``); the station's staff on that date, by name
  (professionals are shown by name to their supervisors).
- ``record(engine, user, draft, entry)``: the session as rows of the 督导议程记录 table, written by the
  workbook import's own path (``ledger.import_ledger``): the same checks (``domain.validation`` with
  ``supervision_records.record_problems``), the same all-or-nothing rule, one locked write transaction, the
  action items' history appended in it, and an audit row (``supervision``) naming the user.
- ``change_status(engine, user, code, status, note, when)``: one row of the append-only history
  (``supervision_records.update_code``), allowed by ``labels.ACTION_TRANSITIONS``, with its note; the same
  path, audit row ``action_status``.
- ``action_items(engine, station, today)``: every action item of the station with its status, owner and
  history, for the page.

The filled-in workbook can still be uploaded instead (the upload page, ``sgz import``): both end in the
same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pandas as pd
import sqlalchemy as sa

from ..analysis.supervision_cycle import action_register
from ..domain import schema
from ..domain.dataset import Dataset
from ..domain.labels import ACTION_NOT_STARTED, ACTION_OPEN
from ..domain.supervision_records import (
    ITEMS,
    history,
    is_update,
    session_code,
    transition_problem,
    update_code,
)
from ..domain.vocab import LIST_SEPARATOR, VOCABS
from ..errors import DataError, NotFoundError, Problem
from ..ledger import ImportResult, Ledger, Source, import_ledger
from ..ledger.supervision_book import ACTION_TOPIC, session_rows
from ..store import storage
from ..store.access import User
from ..store.db import SQL_TABLES
from . import guard

FORM_TITLE = "督导记录"
STATUS_TITLE = "行动项状态"
FORMS = tuple(VOCABS["supervision_form"].values)
STATUSES = tuple(VOCABS["action_status"].values)
OTHER_TOPIC = "其他"


@dataclass(frozen=True)
class AgendaNote:
    """What was said about one agenda item."""

    item_no: int
    discussion: str = ""
    decision: str = ""


@dataclass(frozen=True)
class NewAction:
    """An action item set at the session: what, who (a staff code), by when, and the agenda item it follows."""

    action: str
    owner_code: str | None
    due: dt.date | None
    item_no: int | None = None


@dataclass(frozen=True)
class Entry:
    """What the supervisor filled in."""

    supervisor: str
    form: str | None
    participants: tuple[str, ...] = ()
    notes: tuple[AgendaNote, ...] = ()
    actions: tuple[NewAction, ...] = ()
    reviews: dict[str, str] = field(default_factory=dict)  # open action item → its status at this session


@dataclass
class Draft:
    """The form of one session before it is filled in."""

    station: str
    station_name: str
    date: dt.date
    session_code: str
    rows: pd.DataFrame  # the pre-filled 督导议程记录 rows: agenda items, then open action items to review
    staff: pd.DataFrame  # code, name, role: who may own an action item
    supervisor: str  # who is recording (the form's default 督导者)

    @property
    def agenda(self) -> pd.DataFrame:
        return self.rows[self.rows["topic"] != ACTION_TOPIC].reset_index(drop=True)

    @property
    def reviews(self) -> pd.DataFrame:
        return self.rows[self.rows["topic"] == ACTION_TOPIC].reset_index(drop=True)


# -- preparing -------------------------------------------------------------------------------------------

def prepare(wb, engine: sa.Engine, user: User, station: str, date) -> Draft:
    """The draft of ``station``'s session on ``date``: the agenda from the user's read model ``wb`` (masked: it
    names no beneficiary), the action items and staff read from ``engine`` as they are (the rows are written
    back, so they must not carry masked text; an account whose data is masked cannot record)."""
    guard.require_role(user, "record")
    guard.require_writes(user, "record")
    guard.require_station(engine, user, station, "record")
    when = pd.Timestamp(date).date()
    mine = wb.station(station).on(when)
    agenda = mine.attention(station).agenda
    with engine.connect() as conn:
        codes = storage.subtree(storage.read_station_tree(conn), station)
        records = station_records(conn, codes)
    rows = session_rows(records, station, when, agenda, supervisor=user.name or user.login)
    name = mine.station_row(station)["name"]
    return Draft(station, name, when, session_code(station, when), rows.reset_index(drop=True),
                 staff_on(engine, codes, when), user.name or user.login)


def staff_on(engine: sa.Engine, stations: list[str], when: dt.date) -> pd.DataFrame:
    """code, name, role of the staff of ``stations`` in post on ``when``, as this account may read them."""
    with engine.connect() as conn:
        t = storage.readable(conn, "staff")
        rows = pd.DataFrame(conn.execute(sa.select(t.c.code, t.c.name, t.c.role, t.c.joined, t.c.left)
                                         .where(t.c.station_code.in_(list(stations)))).fetchall(),
                            columns=["code", "name", "role", "joined", "left"])
    day = pd.Timestamp(when)
    joined, left = pd.to_datetime(rows["joined"]), pd.to_datetime(rows["left"])
    active = ~(joined > day) & ~(left <= day)
    return rows[active.to_numpy(dtype=bool)][["code", "name", "role"]].sort_values("code", ignore_index=True)


# -- recording a session ---------------------------------------------------------------------------------

def record(engine: sa.Engine, user: User, draft: Draft, entry: Entry) -> ImportResult:
    """Write the session; ``DataError`` with every problem (nothing written), ``NotAllowedError`` for the
    wrong role or station."""
    guard.require_role(user, "record")
    guard.require_writes(user, "record")
    guard.require_station(engine, user, draft.station, "record")
    problems = entry_problems(draft, entry)
    if problems:
        raise DataError(problems, title="督导记录有误，未写入任何内容")
    rows = session_frame(draft, entry)
    ledger = Ledger.of_frames({"supervision_items": rows}, FORM_TITLE,
                              {"supervision_items": [int(n) for n in rows["item_no"]]})
    n_new = sum(1 for a in entry.actions)
    source = Source(f"督导记录 {draft.session_code}", action="supervision", user=user,
                    detail=f"{draft.station} {draft.date:%Y-%m-%d} {entry.form}督导，议程 {len(draft.agenda)} 项，"
                           f"新行动项 {n_new} 项，复核行动项 {len(draft.reviews)} 项")
    try:
        return import_ledger(engine, ledger, source, before_write=lambda conn: _not_recorded(conn, draft))
    except DataError as exc:
        raise _on_form(exc) from None


def entry_problems(draft: Draft, entry: Entry) -> list[Problem]:
    """What is wrong with the form itself, every problem at once."""
    out = []

    def bad(code, message, column, value=None, where=FORM_TITLE):
        out.append(Problem(code, message, where=where, column=column, value=value))

    if not (entry.supervisor or "").strip():
        bad("required", "请填写督导者姓名", ITEMS.column("supervisor").header)
    if entry.form not in FORMS:
        bad("required", f"请选择督导形式（{'、'.join(FORMS)}）", ITEMS.column("form").header, entry.form)
    if draft.date > dt.date.today():
        bad("future_date", "督导日期不能晚于今天：请在督导之后记录", ITEMS.column("date").header, f"{draft.date:%Y-%m-%d}")
    numbers = set(draft.agenda["item_no"].astype(int))
    staff = set(draft.staff["code"])
    for i, a in enumerate(entry.actions, 1):
        where = f"新行动项第{i}项"
        if not (a.action or "").strip():
            bad("required", "请写明行动项要做什么", ITEMS.column("action").header, where=where)
        if not a.owner_code:
            bad("required", "请选择责任人（本站在岗的驻站人员）", ITEMS.column("owner_code").header, where=where)
        elif a.owner_code not in staff:
            bad("owner_elsewhere", f"责任人「{a.owner_code}」不是本站 {draft.date:%Y-%m-%d} 在岗的驻站人员",
                ITEMS.column("owner_code").header, a.owner_code, where)
        if a.due is None:
            bad("required", "请填写期限", ITEMS.column("due").header, where=where)
        elif a.due < draft.date:
            bad("dates_out_of_order", f"期限（{a.due:%Y-%m-%d}）早于督导日期（{draft.date:%Y-%m-%d}）",
                ITEMS.column("due").header, f"{a.due:%Y-%m-%d}", where)
        if a.item_no is not None and a.item_no not in numbers:
            bad("unknown_item", f"议程中没有第 {a.item_no} 项", "议程序号", a.item_no, where)
    open_codes = set(draft.reviews["action_code"])
    for code, status in entry.reviews.items():
        if code not in open_codes:
            bad("unknown_action", "这不是本站待复核的行动项", ITEMS.column("action_code").header, code)
        elif status not in STATUSES:
            bad("bad_status", f"完成情况只能是 {'、'.join(STATUSES)}", ITEMS.column("status").header, status)
    return out


def session_frame(draft: Draft, entry: Entry) -> pd.DataFrame:
    """The 督导议程记录 rows of the session: the draft's rows filled in, a row for each further action item."""
    rows = draft.rows.copy()
    rows["supervisor"] = entry.supervisor.strip()
    rows["form"] = entry.form
    rows["participants"] = LIST_SEPARATOR.join(p.strip() for p in entry.participants if p.strip()) or None
    at = {int(n): i for i, n in enumerate(rows["item_no"])}
    for note in entry.notes:
        i = at[int(note.item_no)]
        rows.loc[i, "discussion"] = (note.discussion or "").strip() or None
        rows.loc[i, "decision"] = (note.decision or "").strip() or None
    extra = []
    for a in entry.actions:
        i = at.get(int(a.item_no)) if a.item_no is not None else None
        if i is not None and pd.isna(rows.loc[i, "action"]):
            rows.loc[i, ["action", "owner_code", "due", "status"]] = [a.action.strip(), a.owner_code,
                                                                      pd.Timestamp(a.due), ACTION_NOT_STARTED]
            continue
        extra.append(_extra_row(draft, rows, a, i, len(rows) + len(extra) + 1))
    for i, code in enumerate(rows["action_code"]):
        if rows.loc[i, "topic"] == ACTION_TOPIC and code in entry.reviews:
            rows.loc[i, "status"] = entry.reviews[code]
    if extra:
        rows = pd.concat([rows, pd.DataFrame(extra)], ignore_index=True)
    return schema.coerce_frame(ITEMS, rows)


def _extra_row(draft: Draft, rows: pd.DataFrame, a: NewAction, i: int | None, n: int) -> dict:
    """A further action item: on a row of its own after the agenda, naming the agenda item it follows."""
    linked = rows.loc[i] if i is not None else None
    return {"session_code": draft.session_code, "item_no": n, "station_code": draft.station,
            "date": pd.Timestamp(draft.date), "supervisor": rows["supervisor"].iloc[0], "form": rows["form"].iloc[0],
            "participants": rows["participants"].iloc[0],
            "topic": linked["topic"] if linked is not None else OTHER_TOPIC,
            "item": linked["item"] if linked is not None else "其他行动项",
            "why": f"议程第 {int(linked['item_no'])} 项的又一个行动项" if linked is not None else None,
            "action_code": f"{draft.session_code}-{n:02d}", "action": a.action.strip(), "owner_code": a.owner_code,
            "due": pd.Timestamp(a.due), "status": ACTION_NOT_STARTED}


def _not_recorded(conn: sa.Connection, draft: Draft) -> None:
    t = SQL_TABLES["supervision_items"]
    there = conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.session_code == draft.session_code)).scalar()
    if there:
        raise DataError([Problem("session_recorded", f"{draft.station_name}（{draft.station}）{draft.date:%Y-%m-%d} "
                                 f"的督导已经记录过（督导编号 {draft.session_code}）。如需修改，请在「上传台账」上传改好的"
                                 "督导记录工作簿；同一天的另一次督导请改日期记录", where=FORM_TITLE)],
                        title="督导记录未写入")


def _on_form(exc: DataError) -> DataError:
    """Problems of the form's rows say 第 N 项 (the agenda item), not an Excel row."""
    problems = [replace(p, where=f"{p.where}第{p.row}项", row=None) if p.where == FORM_TITLE and p.row else p
                for p in exc.problems]
    return type(exc)(problems, exc.title) if type(exc) is DataError else exc


# -- changing an action item's status --------------------------------------------------------------------

def change_status(engine: sa.Engine, user: User, code: str, status: str, note: str, when=None) -> ImportResult:
    """Record that action item ``code`` is now ``status`` (on ``when``, default today), with ``note``."""
    guard.require_role(user, "record")
    guard.require_writes(user, "record")
    when = pd.Timestamp(when or dt.date.today()).date()
    with engine.connect() as conn:
        station, hist = _item_history(conn, code)
    guard.require_station(engine, user, station, "record")
    before = hist.iloc[-1] if len(hist) else None
    current = before["status"] if before is not None else ACTION_NOT_STARTED
    problems = _change_problems(code, current, status, note, when, before)
    if problems:
        raise DataError(problems, title="行动项状态未更改")
    n = 1 + sum(1 for c in hist["session_code"] if is_update(c) and c.startswith(update_code(station, when, 0)[:-2]))
    row = {"action_code": code, "session_code": update_code(station, when, n), "station_code": station,
           "date": pd.Timestamp(when), "item_no": pd.NA, "status": status, "note": note.strip()}
    ledger = Ledger.of_frames({"action_history": pd.DataFrame([row])}, STATUS_TITLE, {"action_history": [1]})
    source = Source(f"行动项 {code}", action="action_status", user=user,
                    detail=f"{code}：{current} → {status}（{when:%Y-%m-%d}）：{note.strip()}")

    def unchanged(conn):
        if len(_item_history(conn, code)[1]) != len(hist):
            raise DataError([Problem("changed_meanwhile", "刚刚有人更改了这个行动项，请刷新页面后再改", where=code)],
                            title="行动项状态未更改")

    return import_ledger(engine, ledger, source, before_write=unchanged)


def _change_problems(code, current, status, note, when, before) -> list[Problem]:
    out = []
    if current not in ACTION_OPEN:
        out.append(Problem("closed_item", f"行动项 {code} 已是「{current}」，不再更改：{transition_problem(current, status)}"
                           if status != current else f"行动项 {code} 已是「{current}」，不再更改", where=code))
    elif status == current:
        out.append(Problem("same_status", f"行动项 {code} 现在就是「{current}」：请选择新的完成情况", where=code))
    elif status not in STATUSES:
        out.append(Problem("bad_status", f"完成情况只能是 {'、'.join(STATUSES)}", where=code, value=status))
    elif transition_problem(current, status):
        out.append(Problem("status_refused", transition_problem(current, status), where=code))
    if not (note or "").strip():
        out.append(Problem("required", "请写明说明（做了什么、依据是什么），它会留在行动项历史中", where=code))
    if when > dt.date.today():
        out.append(Problem("future_date", "日期不能晚于今天", where=code, value=f"{when:%Y-%m-%d}"))
    elif before is not None and when < before["date"].date():
        out.append(Problem("dates_out_of_order", f"日期早于该行动项上次记录的日期（{before['date']:%Y-%m-%d}）",
                           where=code, value=f"{when:%Y-%m-%d}"))
    return out


def _item_history(conn: sa.Connection, code: str) -> tuple[str, pd.DataFrame]:
    """The station of action item ``code`` and its history (oldest first); ``NotFoundError`` if unknown."""
    station = None
    for table, column in (("supervision_items", "action_code"), ("supervisions", "code")):
        t = SQL_TABLES[table]
        station = station or conn.execute(sa.select(t.c.station_code).where(t.c[column] == code).limit(1)).scalar()
    if station is None:
        raise NotFoundError(f"行动项编号不存在：{code}")
    ds = station_records(conn, [station])
    hist = history(ds)
    return station, hist[hist["action_code"] == code].reset_index(drop=True)


def station_records(conn: sa.Connection, stations: list[str]) -> Dataset:
    """The supervision tables (and station rows) of ``stations``, read on ``conn``."""
    names = ("stations", "supervisions", "supervision_items", "action_history")
    return Dataset({n: storage.read_by_values(conn, n, "code" if n == "stations" else "station_code", stations)
                    for n in names})


# -- the station's action items --------------------------------------------------------------------------

def action_items(engine: sa.Engine, station: str, today: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(register, history) of ``station``'s action items on ``today``: ``supervision_cycle.action_register``
    with the owner's name; every recorded status with its note, newest first."""
    today = today or dt.date.today()
    with engine.connect() as conn:
        codes = storage.subtree(storage.read_station_tree(conn), station)
        ds = station_records(conn, codes)
    reg = action_register(ds, station, today)
    names = staff_on(engine, codes, today).set_index("code")["name"]
    reg["owner_name"] = reg["owner_code"].map(names)
    hist = history(ds, station).sort_values(["date", "session_code"], ascending=False, ignore_index=True)
    return reg, hist
