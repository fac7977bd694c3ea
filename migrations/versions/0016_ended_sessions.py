"""Logging out ends this session only; the session's id is refused afterwards.

"Log out" used to end every session of the user, on every device. Now it
ends the one it is pressed in, and "log out everywhere" on the account page
does the rest. A session lives in a signed cookie, so the ended ones are
listed here (a digest of their random id, and when they would have expired
anyway) so that a copy of the cookie is refused too.

Revision ID: ended_sessions
Revises: evidence_checks

"""

import sqlalchemy as sa
from alembic import op

revision = "ended_sessions"
down_revision = "evidence_checks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ended_session",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_ended_session")),
    )
    with op.batch_alter_table("ended_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ended_session_ends_at"), ["ends_at"], unique=False)


def downgrade():
    with op.batch_alter_table("ended_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_session_ends_at"))
    op.drop_table("ended_session")
