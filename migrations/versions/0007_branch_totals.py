"""Per-branch totals: points, entries and members with entries, per period.

The branch leaderboard and the advisor dashboards read one row per branch
instead of summing every member's. The tables are filled from member_total
and member_category_total, which hold the same sums per member. The index on
memberships by branch now covers the head count of each branch in a period.

Revision ID: branch_totals
Revises: school_totals

"""

import sqlalchemy as sa
from alembic import op

revision = "branch_totals"
down_revision = "school_totals"
branch_labels = None
depends_on = None


def _columns(*key):
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        *key,
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("points_tenths", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("active_members", sa.Integer(), nullable=False),
    ]


def _fill(table, source, *key):
    keys = ", ".join(["period_kind", "period_start", *key, "branch_id"])
    op.execute(
        f"INSERT INTO {table} ({keys}, points_tenths, entries, active_members)"
        f" SELECT {keys}, SUM(points_tenths), SUM(entries),"
        " SUM(CASE WHEN entries > 0 THEN 1 ELSE 0 END)"
        f" FROM {source} GROUP BY {keys}"
    )


def upgrade():
    op.create_table(
        "branch_total",
        *_columns(),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_branch_total_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_total")),
        sa.UniqueConstraint(
            "period_kind",
            "period_start",
            "branch_id",
            name=op.f("uq_branch_total_period_kind_period_start_branch_id"),
        ),
    )
    op.create_table(
        "branch_category_total",
        *_columns(sa.Column("category_id", sa.Integer(), nullable=False)),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_branch_category_total_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_branch_category_total_category_id_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_category_total")),
        sa.UniqueConstraint(
            "period_kind",
            "period_start",
            "category_id",
            "branch_id",
            name=op.f("uq_branch_category_total_period_kind_period_start_category_id_branch_id"),
        ),
    )
    with op.batch_alter_table("membership") as batch_op:
        batch_op.drop_index("ix_membership_branch_start")
        batch_op.create_index(
            "ix_membership_branch_days", ["branch_id", "start_on", "end_on", "user_id"]
        )
    _fill("branch_total", "member_total")
    _fill("branch_category_total", "member_category_total", "category_id")


def downgrade():
    with op.batch_alter_table("membership") as batch_op:
        batch_op.drop_index("ix_membership_branch_days")
        batch_op.create_index("ix_membership_branch_start", ["branch_id", "start_on"])
    op.drop_table("branch_category_total")
    op.drop_table("branch_total")
