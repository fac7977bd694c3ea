"""Indexes and statistics for the boards of a branch, a college or an advisor.

A college (or an advisor's branches) ranks its members by summing their
totals in the college's branches. The index on (period, branch, points)
found those rows but not their member and entries, so the database read the
totals of the whole school instead; the new one holds all the query reads.
Likewise the members ranked in a branch are read from an index on (branch,
status, role), which replaces the one on branch alone.

On PostgreSQL, the planner took period_kind and period_start for
independent and expected a few hundred totals per period rather than tens of
thousands; statistics on the pair correct that, so it seeks each branch.

Revision ID: branch_member_index
Revises: branch_totals

"""

from alembic import op

revision = "branch_member_index"
down_revision = "branch_totals"
branch_labels = None
depends_on = None

KEY = ["period_kind", "period_start"]
READ = ["branch_id", "user_id", "points_tenths", "entries"]
TOTALS = (
    "member_total",
    "member_category_total",
    "school_total",
    "school_category_total",
    "branch_total",
    "branch_category_total",
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.drop_index("ix_member_total_rank", table_name="member_total")
    op.create_index("ix_member_total_branch", "member_total", [*KEY, *READ])
    op.drop_index("ix_member_category_total_rank", table_name="member_category_total")
    op.create_index(
        "ix_member_category_total_branch", "member_category_total", [*KEY, "category_id", *READ]
    )
    op.drop_index("ix_user_branch_id", table_name="user")
    op.create_index("ix_user_branch_ranked", "user", ["branch_id", "status", "role", "id"])
    if _postgresql():
        for table in TOTALS:
            op.execute(
                f"CREATE STATISTICS st_{table}_period (dependencies, ndistinct)"
                f" ON period_kind, period_start FROM {table}"
            )
            op.execute(f"ANALYZE {table}")


def downgrade():
    if _postgresql():
        for table in TOTALS:
            op.execute(f"DROP STATISTICS IF EXISTS st_{table}_period")
    op.drop_index("ix_user_branch_ranked", table_name="user")
    op.create_index("ix_user_branch_id", "user", ["branch_id"])
    op.drop_index("ix_member_category_total_branch", table_name="member_category_total")
    op.create_index(
        "ix_member_category_total_rank",
        "member_category_total",
        [*KEY, "category_id", "branch_id", "points_tenths"],
    )
    op.drop_index("ix_member_total_branch", table_name="member_total")
    op.create_index("ix_member_total_rank", "member_total", [*KEY, "branch_id", "points_tenths"])
