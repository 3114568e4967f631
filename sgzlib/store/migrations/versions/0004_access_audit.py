"""Audit trail (audit_log) and the tables of access control (sgz_access_users, sgz_access_scope).

Revision ID: 0004
Revises: 0002 (re-chained after 0003 when the supervision-cycle migration lands)
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("login", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("stations", sa.Text(), nullable=True),
        sa.Column("new", sa.Integer(), nullable=True),
        sa.Column("changed", sa.Integer(), nullable=True),
        sa.Column("removed", sa.Integer(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=True),
        sa.Column("masked", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        comment="操作记录",
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_table(
        "sgz_access_users",
        sa.Column("login", sa.String(length=128), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("all_stations", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("login"),
        comment="访问账号",
    )
    op.create_table(
        "sgz_access_scope",
        sa.Column("login", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["login"], ["sgz_access_users.login"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("login", "kind", "value"),
        comment="访问范围",
    )


def downgrade() -> None:
    op.drop_table("sgz_access_scope")
    op.drop_table("sgz_access_users")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
