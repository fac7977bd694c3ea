"""Activities carry a version, so that a review decides on what the reviewer saw.

A reviewer approved what the page or the API showed them, but the ledger
booked whatever the activity held at that moment: a member could change 0.5
hours into 8 between the two. Every change of an activity (an edit, a
mentee's answer, a review) now adds one to its version, and a review names
the version it decides on; the conditional update that claims the activity
refuses any other. Existing activities start at version 1.

Revision ID: review_versions
Revises: audit_chain

"""

import sqlalchemy as sa
from alembic import op

revision = "review_versions"
down_revision = "audit_chain"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activity") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("version")
