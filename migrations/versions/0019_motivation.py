"""Motivation without pressure: consent to be named outside one's branch, and milestones.

``user.name_public`` is a member's consent (PIPL Art. 25) to their full name
appearing to people outside their branch; it starts off, so everyone stays
masked (张*三) there until they choose otherwise.

``milestone`` holds the thresholds an administrator defines; whether a member
reached one is read from the stored totals, never stored. ``milestone_notice``
records only that the member was told, so they are told once.

Revision ID: motivation
Revises: meeting_kinds

"""

import sqlalchemy as sa
from alembic import op

revision = "motivation"
down_revision = "meeting_kinds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("threshold_tenths", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_milestone_category_id_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
    )
    op.create_table(
        "milestone_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_notice_milestone_id_milestone"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_milestone_notice_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_notice")),
        sa.UniqueConstraint(
            "milestone_id",
            "user_id",
            "period_start",
            name=op.f("uq_milestone_notice_milestone_id_user_id_period_start"),
        ),
    )


def downgrade():
    op.drop_table("milestone_notice")
    op.drop_table("milestone")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("name_public")
