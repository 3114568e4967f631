"""Photo index, 经费支出 sheet, station position (经度/纬度).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_files",
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
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
        sa.PrimaryKeyConstraint("station_code", "path"),
        comment="照片索引",
    )
    op.create_index("ix_photo_files_sha256", "photo_files", ["sha256"], unique=False)
    op.create_table(
        "expenses",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("receipt", sa.Boolean(), nullable=True),
        sa.Column("photos", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="经费支出",
    )
    op.create_index("ix_expenses_station_code", "expenses", ["station_code"], unique=False)
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("latitude")
        batch.drop_column("longitude")
    op.drop_index("ix_expenses_station_code", table_name="expenses")
    op.drop_table("expenses")
    op.drop_index("ix_photo_files_sha256", table_name="photo_files")
    op.drop_table("photo_files")
