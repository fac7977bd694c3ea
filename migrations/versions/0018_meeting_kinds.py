"""Meeting kinds (三会一课) on events, 党小组 (groups of members in a branch), minutes.

Minutes (会议记录) are kept per event with every version saved.

Every event gets a kind. Events created before kinds existed cannot say which
meeting they were, so: an event of the meeting category ("三会一课 / 主题党日",
which the event form chose by default) becomes a 主题党日 (theme_day), the
category's own name and the broadest of the regular meetings; every other
event becomes "other", which counts toward no required meeting. Nothing
becomes a 支部党员大会 or 支委会 by guess, because those carry a quorum that
old attendance was never checked against.

Revision ID: meeting_kinds
Revises: external_points

"""

import sqlalchemy as sa
from alembic import op

revision = "meeting_kinds"
down_revision = "external_points"
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
            ["group_id"],
            ["party_group.id"],
            name=op.f("fk_party_group_member_group_id_party_group"),
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
    _minutes()
    op.execute(
        "UPDATE event SET kind = 'theme_day' WHERE category_id IN "
        "(SELECT id FROM category WHERE key = 'meeting')"
    )


def _text_columns():
    return [
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=60), nullable=False),
        sa.Column("recorder", sa.String(length=60), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("attendance", sa.JSON(), nullable=False),
    ]


def _minutes():
    op.create_table(
        "minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_text_columns(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_minutes_event_id_event")),
        sa.ForeignKeyConstraint(
            ["locked_by_id"], ["user.id"], name=op.f("fk_minutes_locked_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_minutes_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes")),
        sa.UniqueConstraint("event_id", name=op.f("uq_minutes_event_id")),
    )
    op.create_table(
        "minutes_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_text_columns(),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["minutes.id"], name=op.f("fk_minutes_version_minutes_id_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"], ["user.id"], name=op.f("fk_minutes_version_saved_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_version")),
        sa.UniqueConstraint(
            "minutes_id", "version", name=op.f("uq_minutes_version_minutes_id_version")
        ),
    )
    with op.batch_alter_table("minutes_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_minutes_version_minutes_id"), ["minutes_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("minutes_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_version_minutes_id"))
    op.drop_table("minutes_version")
    op.drop_table("minutes")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_event_group_id_party_group"), type_="foreignkey")
        batch_op.drop_column("group_id")
        batch_op.drop_column("kind")
    op.drop_table("party_group_member")
    with op.batch_alter_table("party_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_group_branch_id"))
    op.drop_table("party_group")
