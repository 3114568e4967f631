"""SQLAlchemy table definitions, derived from ``schema`` (the one declaration)."""

from __future__ import annotations

import sqlalchemy as sa

from . import schema

SQL_TYPES = {
    "code": lambda: sa.String(64),
    "text": lambda: sa.Text(),
    "enum": lambda: sa.String(32),
    "list": lambda: sa.Text(),
    "date": lambda: sa.Date(),
    "int": lambda: sa.Integer(),
    "money": lambda: sa.Numeric(14, 2),
    "bool": lambda: sa.Boolean(),
}

metadata = sa.MetaData()


def _table(t: schema.Table) -> sa.Table:
    columns = [
        sa.Column(c.name, SQL_TYPES[c.kind](), primary_key=c.name in t.key,
                  nullable=c.name not in t.key and not c.required)
        for c in t.columns
    ]
    indexes = [sa.Index(f"ix_{t.name}_station_code", "station_code")] if "station_code" in t.names and t.key != ("station_code",) else []
    parent = schema.STATION_VIA.get(t.name)
    if parent and parent[1] not in t.key[:1]:
        indexes.append(sa.Index(f"ix_{t.name}_{parent[1]}", parent[1]))
    return sa.Table(t.name, metadata, *columns, *indexes, comment=t.sheet)


SQL_TABLES: dict[str, sa.Table] = {t.name: _table(t) for t in schema.TABLES}
