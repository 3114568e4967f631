"""Initial schema: one table per ledger sheet.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "assessments",
        sa.Column("beneficiary_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("assessor", sa.Text(), nullable=True),
        sa.Column("needs", sa.Text(), nullable=True),
        sa.Column("risk", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("beneficiary_code", "date"),
        comment="需求评估",
    )
    op.create_table(
        "beneficiaries",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("gender", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("id_number", sa.String(length=64), nullable=True),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("subcategory", sa.Text(), nullable=True),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("left", sa.Date(), nullable=True),
        sa.Column("follow_up", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="服务对象",
    )
    op.create_index(
        "ix_beneficiaries_station_code", "beneficiaries", ["station_code"], unique=False
    )
    op.create_table(
        "case_records",
        sa.Column("case_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("case_code", "kind"),
        comment="个案文书",
    )
    op.create_table(
        "case_sessions",
        sa.Column("case_code", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("process_record", sa.Boolean(), nullable=True),
        sa.Column("photos", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("case_code", "seq"),
        comment="个案服务",
    )
    op.create_table(
        "cases",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("beneficiary_code", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("worker_code", sa.String(length=64), nullable=True),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("assessed", sa.Date(), nullable=True),
        sa.Column("agreement", sa.Date(), nullable=True),
        sa.Column("planned", sa.Date(), nullable=True),
        sa.Column("evaluated", sa.Date(), nullable=True),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("referral_to", sa.Text(), nullable=True),
        sa.Column("risk", sa.String(length=32), nullable=True),
        sa.Column("exemplary", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="个案",
    )
    op.create_index("ix_cases_station_code", "cases", ["station_code"], unique=False)
    op.create_table(
        "charity_aid",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("beneficiary_code", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="慈善救助",
    )
    op.create_index(
        "ix_charity_aid_station_code", "charity_aid", ["station_code"], unique=False
    )
    op.create_table(
        "charity_funds",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("use", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="慈善资金",
    )
    op.create_index(
        "ix_charity_funds_station_code", "charity_funds", ["station_code"], unique=False
    )
    op.create_table(
        "checklist",
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_date", sa.Date(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("station_code", "item"),
        comment="站点建设",
    )
    op.create_index(
        "ix_checklist_station_code", "checklist", ["station_code"], unique=False
    )
    op.create_table(
        "community_orgs",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("org_type", sa.String(length=32), nullable=True),
        sa.Column("cultivation_type", sa.String(length=32), nullable=True),
        sa.Column("reformed_community", sa.Boolean(), nullable=True),
        sa.Column("started", sa.Date(), nullable=False),
        sa.Column("has_rules", sa.Boolean(), nullable=True),
        sa.Column("core_members", sa.Integer(), nullable=True),
        sa.Column("registered", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="社区社会组织",
    )
    op.create_index(
        "ix_community_orgs_station_code",
        "community_orgs",
        ["station_code"],
        unique=False,
    )
    op.create_table(
        "group_sessions",
        sa.Column("group_code", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("attendance", sa.Integer(), nullable=False),
        sa.Column("unit_plan", sa.Boolean(), nullable=True),
        sa.Column("process_record", sa.Boolean(), nullable=True),
        sa.Column("sign_in", sa.Boolean(), nullable=True),
        sa.Column("photos", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("group_code", "seq"),
        comment="小组活动",
    )
    op.create_table(
        "groups",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("leader_code", sa.String(length=64), nullable=True),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=True),
        sa.Column("exemplary", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="小组",
    )
    op.create_index("ix_groups_station_code", "groups", ["station_code"], unique=False)
    op.create_table(
        "measurements",
        sa.Column("beneficiary_code", sa.String(length=64), nullable=False),
        sa.Column("scale", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("score", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("case_code", sa.String(length=64), nullable=True),
        sa.Column("group_code", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("beneficiary_code", "scale", "phase", "date"),
        comment="前后测",
    )
    op.create_table(
        "projects",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("catalogue", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=True),
        sa.Column("optional_tasks", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="项目",
    )
    op.create_index(
        "ix_projects_station_code", "projects", ["station_code"], unique=False
    )
    op.create_table(
        "services",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("beneficiary_codes", sa.Text(), nullable=True),
        sa.Column("attendance", sa.Integer(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("photos", sa.Text(), nullable=True),
        sa.Column("uploaded", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="服务记录",
    )
    op.create_index(
        "ix_services_station_code", "services", ["station_code"], unique=False
    )
    op.create_table(
        "staff",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("certificate", sa.String(length=32), nullable=False),
        sa.Column("joined", sa.Date(), nullable=True),
        sa.Column("left", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="驻站人员",
    )
    op.create_index("ix_staff_station_code", "staff", ["station_code"], unique=False)
    op.create_table(
        "stations",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("district", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="社工站",
    )
    op.create_table(
        "supervisions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("supervisor", sa.Text(), nullable=False),
        sa.Column("form", sa.String(length=32), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("case_codes", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("action_status", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="督导记录",
    )
    op.create_index(
        "ix_supervisions_station_code", "supervisions", ["station_code"], unique=False
    )
    op.create_table(
        "volunteers",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("national_system", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
        comment="志愿者",
    )
    op.create_index(
        "ix_volunteers_station_code", "volunteers", ["station_code"], unique=False
    )


def downgrade() -> None:

    op.drop_index("ix_volunteers_station_code", table_name="volunteers")
    op.drop_table("volunteers")
    op.drop_index("ix_supervisions_station_code", table_name="supervisions")
    op.drop_table("supervisions")
    op.drop_table("stations")
    op.drop_index("ix_staff_station_code", table_name="staff")
    op.drop_table("staff")
    op.drop_index("ix_services_station_code", table_name="services")
    op.drop_table("services")
    op.drop_index("ix_projects_station_code", table_name="projects")
    op.drop_table("projects")
    op.drop_table("measurements")
    op.drop_index("ix_groups_station_code", table_name="groups")
    op.drop_table("groups")
    op.drop_table("group_sessions")
    op.drop_index("ix_community_orgs_station_code", table_name="community_orgs")
    op.drop_table("community_orgs")
    op.drop_index("ix_checklist_station_code", table_name="checklist")
    op.drop_table("checklist")
    op.drop_index("ix_charity_funds_station_code", table_name="charity_funds")
    op.drop_table("charity_funds")
    op.drop_index("ix_charity_aid_station_code", table_name="charity_aid")
    op.drop_table("charity_aid")
    op.drop_index("ix_cases_station_code", table_name="cases")
    op.drop_table("cases")
    op.drop_table("case_sessions")
    op.drop_table("case_records")
    op.drop_index("ix_beneficiaries_station_code", table_name="beneficiaries")
    op.drop_table("beneficiaries")
    op.drop_table("assessments")
