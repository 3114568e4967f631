"""The supervision cycle: agenda items recorded at a session, and the append-only action item history.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_items",
        sa.Column("session_code", sa.String(length=64), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("supervisor", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("records", sa.Text(), nullable=True),
        sa.Column("discussion", sa.Text(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("action_code", sa.String(length=64), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("owner_code", sa.String(length=64), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("session_code", "item_no"),
        comment="督导议程记录",
    )
    op.create_index("ix_supervision_items_station_code", "supervision_items", ["station_code"], unique=False)
    op.create_table(
        "action_history",
        sa.Column("action_code", sa.String(length=64), nullable=False),
        sa.Column("session_code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("action_code", "session_code"),
        comment="行动项历史",
    )
    op.create_index("ix_action_history_station_code", "action_history", ["station_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_history_station_code", table_name="action_history")
    op.drop_table("action_history")
    op.drop_index("ix_supervision_items_station_code", table_name="supervision_items")
    op.drop_table("supervision_items")
