"""Meeting kinds (三会一课) on events, and 党小组 (groups of members in a branch).

Every event gets a kind. Events created before kinds existed cannot say which
meeting they were, so: an event of the meeting category ("三会一课 / 主题党日",
which the event form chose by default) becomes a 主题党日 (theme_day), the
category's own name and the broadest of the regular meetings; every other
event becomes "other", which counts toward no required meeting. Nothing
becomes a 支部党员大会 or 支委会 by guess, because those carry a quorum that
old attendance was never checked against.

Revision ID: meeting_kinds
Revises: ended_sessions

"""

import sqlalchemy as sa
from alembic import op

revision = "meeting_kinds"
down_revision = "ended_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "party_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_party_group_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_group")),
        sa.UniqueConstraint("branch_id", "name", name=op.f("uq_party_group_branch_id_name")),
    )
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_group_branch_id"), ["branch_id"], unique=False)
    op.create_table(
        "party_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["party_group.id"], name=op.f("fk_party_group_member_group_id_party_group")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_party_group_member_user_id_user")
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_party_group_member")),
        sa.UniqueConstraint("user_id", name=op.f("uq_party_group_member_user_id")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=24), server_default="other", nullable=False)
        )
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_event_group_id_party_group"), "party_group", ["group_id"], ["id"]
        )
    op.execute(
        "UPDATE event SET kind = 'theme_day' WHERE category_id IN "
        "(SELECT id FROM category WHERE key = 'meeting')"
    )


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_event_group_id_party_group"), type_="foreignkey")
        batch_op.drop_column("group_id")
        batch_op.drop_column("kind")
    op.drop_table("party_group_member")
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_group_branch_id"))
    op.drop_table("party_group")
