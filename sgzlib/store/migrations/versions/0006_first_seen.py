"""First-seen date of each dated ledger row (first_seen), for the 补录 check.

Revision ID: 0006
Revises: 0005 (written as 0005_first_seen; re-chained after 0005_spending_overrules at the merge of main)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "first_seen",
        sa.Column("record_table", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.String(length=255), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=True),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("record_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("record_table", "record_key"),
        comment="首次导入日期",
    )
    op.create_index("ix_first_seen_station_code", "first_seen", ["station_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_first_seen_station_code", table_name="first_seen")
    op.drop_table("first_seen")
