"""Minutes attachments (photos, PDF), and what a roster (花名册) lists besides the stage.

``minutes_attachment`` holds the files of an event's minutes, checked as
evidence is and kept in the same store. ``user.stage_since`` is the day a
member entered the current stage; ``membership.committee_post`` the member's
post on the branch committee (书记, 组织委员 ...). Both start empty: the
tracker never knew them, and guessing a date would put a false one on paper.

Revision ID: minutes_files
Revises: certificates

"""

import sqlalchemy as sa
from alembic import op

revision = "minutes_files"
down_revision = "certificates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "minutes_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["user.id"], name=op.f("fk_minutes_attachment_added_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["minutes.id"], name=op.f("fk_minutes_attachment_minutes_id_minutes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_attachment")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_minutes_attachment_stored_name")),
    )
    with op.batch_alter_table("minutes_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_minutes_attachment_minutes_id"), ["minutes_id"], unique=False
        )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_since", sa.Date(), nullable=True))
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_post", sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("committee_post")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("stage_since")
    with op.batch_alter_table("minutes_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_attachment_minutes_id"))
    op.drop_table("minutes_attachment")
