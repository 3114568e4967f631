"""What the evaluator's actions share: the project they act on, and the lock a sign-off puts on it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from ..domain.labels import SIGNOFF_STATES
from ..errors import DataError, NotFoundError, Problem
from ..indicators import load_catalogue
from ..store import signoffs, storage
from ..store.access import User
from ..store.db import connected
from . import guard


def project_row(bind, code: str) -> pd.Series:
    """The project's row (code, station_code, catalogue, tier, start, end …); ``NotFoundError`` if unknown."""
    with connected(bind) as conn:
        t = storage.readable(conn, "projects")
        rows = pd.DataFrame(conn.execute(sa.select(t).where(t.c.code == code)).fetchall(),
                            columns=[c.name for c in t.columns])
    if rows.empty:
        raise NotFoundError(f"项目编码不存在：{code}（或不在本账号的范围内）")
    row = rows.iloc[0].copy()
    row["start"], row["end"] = pd.Timestamp(row["start"]).date(), pd.Timestamp(row["end"]).date()
    catalogue = load_catalogue(str(row["catalogue"]))  # the column holds the id or the title
    row["catalogue_id"], row["catalogue_title"] = catalogue.id, catalogue.title
    return row


def acting_on(engine: sa.Engine, user: User, project: str, action: str) -> pd.Series:
    """The project ``user`` acts on, after checking their role and scope."""
    guard.require_role(user, action)
    row = project_row(engine, project)
    guard.require_station(engine, user, row["station_code"], action)
    return row


def require_not_signed(conn: sa.Connection, project: str, what: str) -> None:
    """Refuse to change what a valid sign-off froze: it must be revoked first (``actions.signoff.revoke``)."""
    state = signoffs.current(conn, projects=[project])
    if len(state) and state["event"].iloc[0] == signoffs.SIGNED:
        r = state.iloc[0]
        raise DataError([Problem("signed_off", f"项目 {project} 已由 {r['login']} 于 {signoffs.local_time(r['at'])} 签字确认"
                                 f"（评估截至 {r['as_of']:%Y-%m-%d}，{SIGNOFF_STATES['signed']}）：{what}会改变签字确认的"
                                 "数字。如确需修改，请先在「评分与签字」页撤销签字确认，改完后重新签字", where=project)],
                        title=f"未{what}")


def require_date(value, row: pd.Series, what: str) -> dt.date:
    """``value`` as a date within the project's period and not after today (``DataError`` otherwise)."""
    when = pd.Timestamp(value).date() if value not in (None, "") else None
    problem = None
    if when is None:
        problem = f"请填写{what}"
    elif when > dt.date.today():
        problem = f"{what}（{when:%Y-%m-%d}）不能晚于今天"
    elif not row["start"] <= when <= row["end"]:
        problem = (f"{what}（{when:%Y-%m-%d}）不在项目周期内（{row['start']:%Y-%m-%d} 至 {row['end']:%Y-%m-%d}）："
                   f"请填写结论所针对的日期，年终评估填项目结束日 {row['end']:%Y-%m-%d}")
    if problem:
        raise DataError([Problem("bad_date", problem, where=row["code"], value=value)], title=f"{what}有误，未写入任何内容")
    return when
