"""Who may do what: the roles of each action (the contract's table), and the stations in a user's scope.

The database enforces both again under access control (row-level security, ``store.access``); these checks
come first so that a refusal says in Chinese who, what and why instead of a database error, and so that a
single-machine install (SQLite, no database accounts) keeps to the same rules. 管理员 may do everything.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..errors import NotAllowedError
from ..store.access import User
from ..store.db import SQL_TABLES, connected
from .roles import ADMIN, MAY


def roles(action: str) -> frozenset[str]:
    """The roles that may do ``action`` (管理员 included)."""
    return frozenset(MAY[action][0]) | {ADMIN}


def require_role(user: User, action: str) -> None:
    """Refuse (``NotAllowedError``) a user whose role may not do ``action``."""
    allowed, what = MAY[action]
    if user.role not in roles(action):
        raise NotAllowedError(f"账号 {user.login}（{user.role}）不能{what}：这是{'、'.join(allowed)}的工作。"
                              "如需调整角色，请联系管理员修改访问权限文件")


def require_writes(user: User, action: str) -> None:
    """Refuse an account whose personal data is masked: what it writes back would carry masked text."""
    if user.masked and action == "record":
        raise NotAllowedError(f"账号 {user.login}（{user.role}）的个人信息已脱敏，不能{MAY[action][1]}：记录会写回"
                              "行动项原文，脱敏的内容会覆盖原文。请联系管理员在访问权限文件中为本账号取消脱敏")


def scope(bind, user: User) -> set[str] | None:
    """The station codes ``user`` may act on (their stations and districts, with every station below), or
    None for every station."""
    if user.all_stations or (user.role == ADMIN and not user.stations and not user.districts):
        return None
    t = SQL_TABLES["stations"]
    with connected(bind) as conn:
        stations = pd.DataFrame(conn.execute(sa.select(t.c.code, t.c.parent_code, t.c.district)).fetchall(),
                                columns=["code", "parent_code", "district"])
    roots = set(user.stations) | set(stations.loc[stations["district"].isin(user.districts), "code"])
    children = stations.groupby("parent_code")["code"].apply(list).to_dict()
    out, queue = set(), list(roots)
    while queue:
        code = queue.pop()
        if code not in out:
            out.add(code)
            queue.extend(children.get(code, []))
    return out


def require_station(bind, user: User, station: str, action: str) -> None:
    """Refuse a station outside the user's scope."""
    mine = scope(bind, user)
    if mine is not None and station not in mine:
        raise NotAllowedError(f"账号 {user.login}（{user.role}）的权限范围不包括站点 {station}，不能{MAY[action][1]}："
                              "请选择本账号范围内的站点，或联系管理员调整权限")
