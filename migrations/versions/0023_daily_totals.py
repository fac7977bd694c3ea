"""Daily totals: period_kind "day" in the member and branch totals; score counts.

A custom range is read from the stored totals (its whole months and the days
at both ends, ``ranking.source``) instead of summing the ledger, so its cost
no longer grows with the number of entries. The day totals of the ledger so
far are written here; from now on ``ledger.totals.apply`` keeps them with
every ledger row. They are not kept school-wide (no "day" rows in
school_total, school_category_total): nothing ranks the school on one day.

``score_count`` is a histogram of the school-wide totals (points other than
zero -> how many members), so a rank on the school board is a sum over the
distinct scores above it rather than a count over every member above.

Revision ID: daily_totals
Revises: jobs

"""

import sqlalchemy as sa
from alembic import op

revision = "daily_totals"
down_revision = "jobs"
branch_labels = None
depends_on = None

ACTIVITIES = "CASE kind WHEN 'award' THEN 1 WHEN 'reversal' THEN -1 ELSE 0 END"


def upgrade():
    op.create_table(
        "score_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("points_tenths", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_count")),
        sa.UniqueConstraint(
            "period_kind",
            "period_start",
            "category_id",
            "points_tenths",
            name=op.f("uq_score_count_period_kind_period_start_category_id_points_tenths"),
        ),
    )
    op.create_index(
        "ix_score_count_cover",
        "score_count",
        ["period_kind", "period_start", "category_id", "points_tenths", "members"],
    )
    op.execute(
        "INSERT INTO score_count (period_kind, period_start, category_id, points_tenths, members) "
        "SELECT period_kind, period_start, 0, points_tenths, COUNT(*) FROM school_total "
        "WHERE points_tenths <> 0 GROUP BY period_kind, period_start, points_tenths"
    )
    op.execute(
        "INSERT INTO score_count (period_kind, period_start, category_id, points_tenths, members) "
        "SELECT period_kind, period_start, category_id, points_tenths, COUNT(*) "
        "FROM school_category_total WHERE points_tenths <> 0 "
        "GROUP BY period_kind, period_start, category_id, points_tenths"
    )
    op.execute(
        "INSERT INTO member_total (period_kind, period_start, user_id, branch_id, "
        "points_tenths, entries) "
        f"SELECT 'day', earned_on, user_id, branch_id, SUM(points_tenths), SUM({ACTIVITIES}) "
        "FROM ledger_entry GROUP BY earned_on, user_id, branch_id"
    )
    op.execute(
        "INSERT INTO member_category_total (period_kind, period_start, category_id, user_id, "
        "branch_id, points_tenths, entries) "
        "SELECT 'day', earned_on, category_id, user_id, branch_id, SUM(points_tenths), "
        f"SUM({ACTIVITIES}) FROM ledger_entry WHERE category_id IS NOT NULL "
        "GROUP BY earned_on, category_id, user_id, branch_id"
    )
    # A member is active in a branch on a day when their activities there add up to more than none.
    op.execute(
        "INSERT INTO branch_total (period_kind, period_start, branch_id, points_tenths, entries, "
        "active_members) "
        "SELECT 'day', period_start, branch_id, SUM(points_tenths), SUM(entries), "
        "SUM(CASE WHEN entries > 0 THEN 1 ELSE 0 END) FROM member_total "
        "WHERE period_kind = 'day' GROUP BY period_start, branch_id"
    )
    op.execute(
        "INSERT INTO branch_category_total (period_kind, period_start, category_id, branch_id, "
        "points_tenths, entries, active_members) "
        "SELECT 'day', period_start, category_id, branch_id, SUM(points_tenths), SUM(entries), "
        "SUM(CASE WHEN entries > 0 THEN 1 ELSE 0 END) FROM member_category_total "
        "WHERE period_kind = 'day' GROUP BY period_start, category_id, branch_id"
    )


def downgrade():
    op.drop_index("ix_score_count_cover", table_name="score_count")
    op.drop_table("score_count")
    for table in ("branch_category_total", "branch_total", "member_category_total", "member_total"):
        op.execute(f"DELETE FROM {table} WHERE period_kind = 'day'")
