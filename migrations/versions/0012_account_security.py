"""Temporary passwords expire.

An administrator's reset gives a temporary password that only lets its owner
choose a new one; it used to work for ever. Now it stops working
TRACKER_TEMP_PASSWORD_HOURS (24 by default) after the reset. Accounts that
hold one at the upgrade get a day from the upgrade.

Revision ID: account_security
Revises: review_versions

"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "account_security"
down_revision = "review_versions"
branch_labels = None
depends_on = None

user = sa.table(
    "user",
    sa.column("must_change_password", sa.Boolean),
    sa.column("temporary_password_expires_at", sa.DateTime(timezone=True)),
)


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("temporary_password_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        user.update()
        .where(user.c.must_change_password.is_(True))
        .values(temporary_password_expires_at=datetime.now(UTC) + timedelta(days=1))
    )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("temporary_password_expires_at")
