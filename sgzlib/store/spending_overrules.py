"""An evaluator's decision on a spending flag: recorded (append-only), audited, read back into the evaluation.

``overrule`` is the one way to record a decision (the CLI ``sgz spending overrule`` and, later, a browser
page call it): who, when, which expense, which check, the decision (``cleared``: checked, not a problem, the
flag is withdrawn; ``upheld``: checked, the problem is real) and a note saying why. The row and its audit
row are written in one transaction. ``load`` gives the rows for a dataset (``ds.frames["spending_overrules"]``);
the evaluation keeps the latest decision per expense × check (``indicators.spending.latest_decisions``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..errors import ConfigError, NotFoundError
from ..indicators import load_catalogue
from ..indicators.spending import DECISIONS
from . import audit
from .db import SPENDING_OVERRULES, SQL_TABLES
from .session import readable

COLUMNS = ["id", "at", "login", "station_code", "expense_code", "check_id", "decision", "note"]
DECISION_WORDS = {"撤销": "cleared", "无问题": "cleared", "cleared": "cleared", "维持": "upheld", "确认": "upheld",
                  "确有问题": "upheld", "upheld": "upheld"}


@dataclass(frozen=True)
class Overrule:
    """One recorded decision."""

    id: int
    at: dt.datetime
    who: str
    station_code: str
    record: str
    check_id: str
    decision: str
    note: str

    @property
    def text(self) -> str:
        return (f"已记录：{self.record} 的 {self.check_id} 提示——{DECISIONS[self.decision]}"
                f"（{self.who}，{self.at:%Y-%m-%d %H:%M}）：{self.note}")


def decision_code(word: str) -> str:
    """The decision code for a word the user typed (撤销 / 维持, or the codes); a Chinese error otherwise."""
    code = DECISION_WORDS.get(str(word).strip())
    if code is None:
        raise ConfigError(f"复核结论「{word}」不认识：请写“撤销”（核实无问题，撤销提示）或“维持”（核实确有问题）")
    return code


def overrule(engine: sa.Engine, *, who: str | None, record: str, check_id: str, decision: str, note: str,
             when: dt.datetime | None = None) -> Overrule:
    """Record ``who``'s ``decision`` on the ``check_id`` flag of expense ``record``, with the audit row.

    ``who`` defaults to the database login; ``when`` to now. Refused with a Chinese error when the expense
    does not exist, the check is not one of its project's catalogue, the decision is unknown or the note is
    empty: an overrule without its reason cannot be reviewed.
    """
    decision = decision_code(decision)
    if not str(note or "").strip():
        raise ConfigError("复核说明不能为空：请写明核实了什么（如“已核对发票，为租赁费”）")
    when = when or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        station = _station_of(conn, record)
        _require_check(conn, station, check_id)
        login = who or audit.current_login(conn)
        new_id = conn.execute(SPENDING_OVERRULES.insert().values(
            at=when, login=login, station_code=station, expense_code=record, check_id=check_id,
            decision=decision, note=note.strip()).returning(SPENDING_OVERRULES.c.id)).scalar_one()
        audit.record(conn, "spending_overrule", stations=[station],
                     detail=f"{record} {check_id} {DECISIONS[decision]}（{login}）：{note.strip()}")
    return Overrule(new_id, when, login, station, record, check_id, decision, note.strip())


def _station_of(conn: sa.Connection, record: str) -> str:
    t = SQL_TABLES["expenses"]
    station = conn.execute(sa.select(t.c.station_code).where(t.c.code == record)).scalar()
    if station is None:
        raise NotFoundError(f"经费支出记录编号不存在：{record}（见 sgz evaluate 的“经费使用核查”）")
    return station


def _require_check(conn: sa.Connection, station: str, check_id: str) -> None:
    """The check must be a spending check of a catalogue of the station's projects."""
    t = SQL_TABLES["projects"]
    catalogues = conn.execute(sa.select(t.c.catalogue).where(t.c.station_code == station).distinct()).scalars()
    known = [c.id for cat in catalogues for c in load_catalogue(cat).spending]
    if check_id not in known:
        listed = "、".join(dict.fromkeys(known)) or "（该站点项目的指标清单没有经费核查项）"
        raise NotFoundError(f"核查编号「{check_id}」不是该支出所在项目的经费核查项：{listed}")


def load(engine: sa.Engine, stations: list[str] | None = None) -> pd.DataFrame:
    """Every decision (oldest first), for the given stations or all (a masked user: with the note masked)."""
    with engine.connect() as conn:
        t = readable(conn, "spending_overrules")
        query = sa.select(*[t.c[c] for c in COLUMNS]).order_by(t.c.id)
        if stations is not None:
            query = query.where(t.c.station_code.in_(list(stations)))
        frame = pd.DataFrame(conn.execute(query).fetchall(), columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame
