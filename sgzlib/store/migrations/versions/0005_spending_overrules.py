"""Evaluators' decisions on spending flags (spending_overrules): append-only, the latest per expense × check holds.

Revision ID: 0005
Revises: 0004 (re-chain after any migration that lands before it)
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spending_overrules",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("login", sa.String(length=128), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("expense_code", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        comment="经费核查复核",
    )
    op.create_index("ix_spending_overrules_station_code", "spending_overrules", ["station_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_spending_overrules_station_code", table_name="spending_overrules")
    op.drop_table("spending_overrules")
