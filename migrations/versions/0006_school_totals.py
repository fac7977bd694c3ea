"""School-wide totals per member (all branches together), and who is ranked.

A school-wide leaderboard reads its first page from the points index of
school_total instead of ranking all members on each request. The new tables
are filled from member_total, which already holds the same sums per branch.

Revision ID: school_totals
Revises: rankings

"""

import sqlalchemy as sa
from alembic import op

revision = "school_totals"
down_revision = "rankings"
branch_labels = None
depends_on = None


def _total_columns(*key):
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        *key,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("points_tenths", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "school_total",
        *_total_columns(),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_school_total_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_total")),
        sa.UniqueConstraint(
            "period_kind",
            "period_start",
            "user_id",
            name=op.f("uq_school_total_period_kind_period_start_user_id"),
        ),
    )
    op.create_index(
        "ix_school_total_points",
        "school_total",
        ["period_kind", "period_start", "points_tenths", "user_id"],
    )
    op.create_table(
        "school_category_total",
        *_total_columns(sa.Column("category_id", sa.Integer(), nullable=False)),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_school_category_total_category_id_category"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_school_category_total_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_category_total")),
        sa.UniqueConstraint(
            "period_kind",
            "period_start",
            "category_id",
            "user_id",
            name=op.f("uq_school_category_total_period_kind_period_start_category_id_user_id"),
        ),
    )
    op.create_index(
        "ix_school_category_total_points",
        "school_category_total",
        ["period_kind", "period_start", "category_id", "points_tenths", "user_id"],
    )
    op.create_index("ix_user_ranked", "user", ["status", "role", "id"])
    op.execute(
        "INSERT INTO school_total (period_kind, period_start, user_id, points_tenths, entries)"
        " SELECT period_kind, period_start, user_id, SUM(points_tenths), SUM(entries)"
        " FROM member_total GROUP BY period_kind, period_start, user_id"
    )
    op.execute(
        "INSERT INTO school_category_total"
        " (period_kind, period_start, category_id, user_id, points_tenths, entries)"
        " SELECT period_kind, period_start, category_id, user_id,"
        " SUM(points_tenths), SUM(entries)"
        " FROM member_category_total GROUP BY period_kind, period_start, category_id, user_id"
    )


def downgrade():
    op.drop_index("ix_user_ranked", table_name="user")
    op.drop_table("school_category_total")
    op.drop_table("school_total")
