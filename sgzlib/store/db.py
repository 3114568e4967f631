"""SQLAlchemy table definitions, derived from ``schema`` (the one declaration)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ..domain import schema

SQL_TYPES = {
    "code": lambda: sa.String(64),
    "text": lambda: sa.Text(),
    "enum": lambda: sa.String(32),
    "list": lambda: sa.Text(),
    "date": lambda: sa.Date(),
    "int": lambda: sa.Integer(),
    "money": lambda: sa.Numeric(14, 2),
    "bool": lambda: sa.Boolean(),
    "number": lambda: sa.Float(),
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


# The photo index (``sgz photos scan``): one row per image file of a station's photo folder.
# Not a ledger sheet; written by ``sgzlib.store.photo_index`` only.
PHOTO_FILES = sa.Table(
    "photo_files", metadata,
    sa.Column("station_code", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(512), primary_key=True),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("mtime", sa.Float(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("phash", sa.Text(), nullable=True),
    sa.Column("taken_at", sa.DateTime(), nullable=True),
    sa.Column("latitude", sa.Float(), nullable=True),
    sa.Column("longitude", sa.Float(), nullable=True),
    sa.Column("camera", sa.Text(), nullable=True),
    sa.Column("software", sa.Text(), nullable=True),
    sa.Column("width", sa.Integer(), nullable=True),
    sa.Column("height", sa.Integer(), nullable=True),
    sa.Column("readable", sa.Boolean(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
    sa.Index("ix_photo_files_sha256", "sha256"),
    comment="照片索引",
)


# When each dated ledger row was first seen (``sgzlib.store.first_seen``): written by an import (and
# ``write_dataset``) in the transaction that adds the row, never changed after; the 补录 check of
# ``sgzlib.analysis.quality`` compares it with the row's own date (``record_date``, updated with the row). ``record_key`` is the row's natural key,
# its parts joined by "/" (dates as 2025-03-05).
FIRST_SEEN = sa.Table(
    "first_seen", metadata,
    sa.Column("record_table", sa.String(32), primary_key=True),
    sa.Column("record_key", sa.String(255), primary_key=True),
    sa.Column("station_code", sa.String(64), nullable=True),
    sa.Column("first_seen", sa.Date(), nullable=False),
    sa.Column("record_date", sa.Date(), nullable=True),  # the row's own date, kept current by later imports
    sa.Index("ix_first_seen_station_code", "station_code"),
    comment="首次导入日期",
)

# The audit trail (``sgzlib.store.audit``): one row per import, export, report batch and access change, written in
# the transaction of what it records. Append-only: under PostgreSQL access control (``sgz access apply``)
# ordinary roles may insert and read it, never update or delete it.
AUDIT_LOG = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("file_name", sa.Text(), nullable=True),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("stations", sa.Text(), nullable=True),  # station codes joined by "、"
    sa.Column("new", sa.Integer(), nullable=True),
    sa.Column("changed", sa.Integer(), nullable=True),
    sa.Column("removed", sa.Integer(), nullable=True),
    sa.Column("dry_run", sa.Boolean(), nullable=True),
    sa.Column("masked", sa.Boolean(), nullable=True),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Index("ix_audit_log_at", "at"),
    comment="操作记录",
)

# Evaluators' decisions on spending flags (``sgzlib.store.spending_overrules``): append-only, one row per decision;
# the latest per expense × check holds. Shown by ``sgz evaluate``, ``sgz explain`` and the reports.
SPENDING_OVERRULES = sa.Table(
    "spending_overrules", metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    sa.Column("station_code", sa.String(64), nullable=False),
    sa.Column("expense_code", sa.String(64), nullable=False),
    sa.Column("check_id", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Index("ix_spending_overrules_station_code", "station_code"),
    comment="经费核查复核",
)

# The evaluation workflow (issue 29; ``sgzlib.store.evaluation_records``, ``sgzlib.store.signoffs``): what an
# evaluator decides in the browser. Every table has the station its rows belong to (row-level security), is
# append-only (the latest row holds) and is written with its audit row in one transaction.
# An evaluator's verdict on a checklist item of a project (read back by the checklist rule of ``indicators``).
CHECKLIST_VERIFICATIONS = sa.Table(
    "checklist_verifications", metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    sa.Column("station_code", sa.String(64), nullable=False),
    sa.Column("project_code", sa.String(64), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("item", sa.Text(), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),  # labels.VERDICTS: verified | rejected
    sa.Column("date", sa.Date(), nullable=False),  # the day it was checked; counts from then on
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("evidence_sha256", sa.String(64), nullable=True),
    sa.Index("ix_checklist_verifications_station_code", "station_code"),
    comment="检查项核验",
)
# Evidence files behind verdicts, stored once per station by their content's SHA-256.
EVIDENCE_FILES = sa.Table(
    "evidence_files", metadata,
    sa.Column("station_code", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # pdf | jpg | png | docx | xlsx
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    comment="核验佐证文件",
)
# An evaluator's scoring scheme (评分细则, ``indicators.scoring``) as uploaded: for one project, or (no project, no
# station) for every project of its catalogue.
SCORING_SCHEMES = sa.Table(
    "scoring_schemes", metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    sa.Column("catalogue", sa.String(64), nullable=False),
    sa.Column("project_code", sa.String(64), nullable=True),
    sa.Column("station_code", sa.String(64), nullable=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("file_name", sa.Text(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Index("ix_scoring_schemes_catalogue", "catalogue"),
    comment="评分细则",
)
# Scores an evaluator gave per indicator of a project under a scheme.
INDICATOR_SCORES = sa.Table(
    "indicator_scores", metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    sa.Column("station_code", sa.String(64), nullable=False),
    sa.Column("project_code", sa.String(64), nullable=False),
    sa.Column("scheme_id", sa.Integer(), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("score", sa.Numeric(10, 2), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Index("ix_indicator_scores_station_code", "station_code"),
    comment="评估员得分",
)
# Sign-offs (签字确认) and what became of them: one row per event (signed, stale: a later import changed the
# figures, revoked), the latest per project holds; a signed row freezes the as-of date and the figures.
SIGNOFFS = sa.Table(
    "signoffs", metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("login", sa.String(128), nullable=False),
    sa.Column("station_code", sa.String(64), nullable=False),
    sa.Column("project_code", sa.String(64), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),  # labels.SIGNOFF_STATES: signed | stale | revoked
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("figures", sa.Text(), nullable=True),  # signed: the 全期 rows as JSON; stale: the changed figures
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("file_name", sa.Text(), nullable=True),  # stale: the import that changed the figures
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Index("ix_signoffs_station_code", "station_code"),
    comment="签字确认",
)
# The tables above, for access control (``store.access``: row-level security by station_code; a scheme without
# a station is for every project of its catalogue).
EVALUATION_TABLES = ("checklist_verifications", "evidence_files", "scoring_schemes", "indicator_scores", "signoffs")

# Who may see what (``sgzlib.store.access``, written by ``sgz access apply``): one row per managed login, and the
# roots of its scope (a station, whose descendants are included, or a district by name).
ACCESS_USERS = sa.Table(
    "sgz_access_users", metadata,
    sa.Column("login", sa.String(128), primary_key=True),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("masked", sa.Boolean(), nullable=False),
    sa.Column("all_stations", sa.Boolean(), nullable=False),
    comment="访问账号",
)
ACCESS_SCOPE = sa.Table(
    "sgz_access_scope", metadata,
    sa.Column("login", sa.String(128), sa.ForeignKey("sgz_access_users.login", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),  # "station" or "district"
    sa.Column("value", sa.String(128), primary_key=True),
    comment="访问范围",
)


@contextmanager
def connected(bind: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A connection to read on: ``bind`` itself (inside a writer's transaction) or a new one of the engine."""
    if isinstance(bind, sa.Connection):
        yield bind
        return
    with bind.connect() as conn:
        yield conn
