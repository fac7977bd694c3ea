"""Terms can be closed: no points are booked on a closed term's days.

A committee member could award themselves points through events dated months
back. Once a term's points are final an administrator closes it; only an
administrator's adjustment, with a reason, books on its days afterwards.

Revision ID: event_trust
Revises: checkin_devices

"""

import sqlalchemy as sa
from alembic import op

revision = "event_trust"
down_revision = "checkin_devices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
