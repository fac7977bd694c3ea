"""Member totals by branch, then member: covers the sums of a college's board.

A college (or an advisor's branches) ranks its members by summing their
totals in the college's branches. The index on (period, branch, points)
found those rows but not their member and entries, so the database read the
totals of the whole school instead; this one holds all the query reads.

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


def upgrade():
    op.drop_index("ix_member_total_rank", table_name="member_total")
    op.create_index("ix_member_total_branch", "member_total", [*KEY, *READ])
    op.drop_index("ix_member_category_total_rank", table_name="member_category_total")
    op.create_index(
        "ix_member_category_total_branch", "member_category_total", [*KEY, "category_id", *READ]
    )


def downgrade():
    op.drop_index("ix_member_category_total_branch", table_name="member_category_total")
    op.create_index(
        "ix_member_category_total_rank",
        "member_category_total",
        [*KEY, "category_id", "branch_id", "points_tenths"],
    )
    op.drop_index("ix_member_total_branch", table_name="member_total")
    op.create_index(
        "ix_member_total_rank", "member_total", [*KEY, "branch_id", "points_tenths"]
    )
