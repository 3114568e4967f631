"""The workbench in the browser (issue 29): a supervision's form and participants, a note on an action item's
status change, and the evaluator's tables (checklist verdicts, evidence files, scoring schemes, scores, sign-offs).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _stamp() -> list[sa.Column]:
    return [sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("login", sa.String(length=128), nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table("supervision_items") as batch:
        batch.add_column(sa.Column("form", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("participants", sa.Text(), nullable=True))
    with op.batch_alter_table("action_history") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "checklist_verifications",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False), *_stamp(),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        comment="检查项核验",
    )
    op.create_index("ix_checklist_verifications_station_code", "checklist_verifications", ["station_code"])
    op.create_table(
        "evidence_files",
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False), *_stamp(),
        sa.PrimaryKeyConstraint("station_code", "sha256"),
        comment="核验佐证文件",
    )
    op.create_table(
        "scoring_schemes",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False), *_stamp(),
        sa.Column("catalogue", sa.String(length=64), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=True),
        sa.Column("station_code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        comment="评分细则",
    )
    op.create_index("ix_scoring_schemes_catalogue", "scoring_schemes", ["catalogue"])
    op.create_table(
        "indicator_scores",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False), *_stamp(),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Numeric(10, 2), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        comment="评估员得分",
    )
    op.create_index("ix_indicator_scores_station_code", "indicator_scores", ["station_code"])
    op.create_table(
        "signoffs",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False), *_stamp(),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        comment="签字确认",
    )
    op.create_index("ix_signoffs_station_code", "signoffs", ["station_code"])


def downgrade() -> None:
    for table in ("signoffs", "indicator_scores", "checklist_verifications"):
        op.drop_index(f"ix_{table}_station_code", table_name=table)
    op.drop_index("ix_scoring_schemes_catalogue", table_name="scoring_schemes")
    for table in ("signoffs", "indicator_scores", "scoring_schemes", "evidence_files", "checklist_verifications"):
        op.drop_table(table)
    with op.batch_alter_table("action_history") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("supervision_items") as batch:
        batch.drop_column("participants")
        batch.drop_column("form")
