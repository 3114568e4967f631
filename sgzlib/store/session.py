"""Who is connected, and what they read: the managed user of a PostgreSQL connection and, for a masked
user, the ``masked_…`` view that stands for each table (``store.access`` creates both).

Kept apart from ``access`` so that ``storage`` can read through it without importing the roles file,
the policies or the SQL they are made of.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..domain import personal
from .db import metadata

# The audience of a masked user (评估方): everything personal masked, professionals' names included.
MASKED_AUDIENCE = personal.audience_of("masked_role")


@dataclass(frozen=True)
class Role:
    """One role: its group role's suffix, whether its users are masked by default, whether they may write."""

    key: str
    masked: bool
    writes: bool
    all_stations: bool = False  # scope is every station (no stations/districts to give)
    always_masked: bool = False


ROLES: dict[str, Role] = {
    "站点社工": Role("worker", masked=False, writes=True),
    "督导": Role("supervisor", masked=False, writes=True),
    "项目负责人": Role("manager", masked=False, writes=True),
    "评估方": Role("evaluator", masked=True, writes=False, always_masked=True),
    "管理员": Role("admin", masked=False, writes=True, all_stations=True),
}


@dataclass(frozen=True)
class Session:
    """The managed user this connection logged in as."""

    login: str
    role: str
    masked: bool

    @property
    def writes(self) -> bool:
        return ROLES[self.role].writes and not self.masked


def session(conn: sa.Connection) -> Session | None:
    """The managed user of this connection, or ``None`` (SQLite, no access control, the owner, a superuser)."""
    if conn.dialect.name != "postgresql":
        return None
    if not conn.execute(sa.text("SELECT to_regprocedure('sgz_session(name)') IS NOT NULL")).scalar():
        return None
    row = conn.execute(sa.text("SELECT login, role, masked FROM sgz_session(current_user)")).first()
    return Session(*row) if row else None


def visible_stations(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.text("SELECT sgz_visible_stations(current_user)")).scalars())


def masked_columns(table: str) -> dict[str, str]:
    """Column → kind of value (``personal``) of a ledger table that masked users read masked."""
    return personal.columns(table, MASKED_AUDIENCE)


MASKED_TABLES = personal.tables(MASKED_AUDIENCE)
_VIEWS = sa.MetaData()
MASKED_VIEWS: dict[str, sa.Table] = {name: metadata.tables[name].to_metadata(_VIEWS, name=f"masked_{name}")
                                     for name in MASKED_TABLES}


def relation(name: str, masked: bool) -> sa.Table:
    """The table (or masked view) a session reads ``name`` from."""
    return MASKED_VIEWS[name] if masked and name in MASKED_VIEWS else metadata.tables[name]


def readable(conn: sa.Connection, name: str) -> sa.Table:
    """The relation this connection's user reads table ``name`` from: the table, or for a masked user
    under access control its ``masked_…`` view."""
    me = session(conn)
    return relation(name, bool(me and me.masked))
