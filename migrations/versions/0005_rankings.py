"""Rankings: terms (学期), and an index covering custom-range leaderboards.

Revision ID: rankings
Revises: api

"""

import sqlalchemy as sa
from alembic import op

revision = "rankings"
down_revision = "api"
branch_labels = None
depends_on = None


MEMBER_TOTAL_USER = ["period_kind", "period_start", "user_id", "branch_id", "points_tenths", "entries"]
CATEGORY_TOTAL_USER = [
    "period_kind",
    "period_start",
    "category_id",
    "user_id",
    "branch_id",
    "points_tenths",
    "entries",
]


def upgrade():
    op.create_table(
        "term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_term_days_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term")),
        sa.UniqueConstraint("first_day", name=op.f("uq_term_first_day")),
        sa.UniqueConstraint("name", name=op.f("uq_term_name")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_earned_cover",
            ["earned_on", "branch_id", "user_id", "category_id", "kind", "points_tenths"],
            unique=False,
        )
    # Cover the per-member sums of college and school leaderboards.
    with op.batch_alter_table("member_total", schema=None) as batch_op:
        batch_op.create_index("ix_member_total_user", MEMBER_TOTAL_USER, unique=False)
    with op.batch_alter_table("member_category_total", schema=None) as batch_op:
        batch_op.create_index("ix_member_category_total_user", CATEGORY_TOTAL_USER, unique=False)


def downgrade():
    with op.batch_alter_table("member_category_total", schema=None) as batch_op:
        batch_op.drop_index("ix_member_category_total_user")
    with op.batch_alter_table("member_total", schema=None) as batch_op:
        batch_op.drop_index("ix_member_total_user")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_earned_cover")
    op.drop_table("term")
