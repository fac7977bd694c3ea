"""Notifications about a member's activities are kinds named for activities.

"Activity" is what a member logs and "entry" a row of the points ledger; the
stored notification kinds said "entry" for activities.

Revision ID: activity_words
Revises: branch_member_index

"""

import sqlalchemy as sa
from alembic import op

revision = "activity_words"
down_revision = "branch_member_index"
branch_labels = None
depends_on = None

RENAMED = {
    "entry_approved": "activity_approved",
    "entry_rejected": "activity_rejected",
    "entry_revoked": "activity_revoked",
}

notification = sa.table("notification", sa.column("kind", sa.String))


def _rename(pairs) -> None:
    for old, new in pairs:
        op.execute(notification.update().where(notification.c.kind == old).values(kind=new))


def upgrade():
    _rename(RENAMED.items())


def downgrade():
    _rename((new, old) for old, new in RENAMED.items())
