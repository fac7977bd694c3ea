"""Which imported numbers are a baseline: totals members brought, counted but never booked.

The reconciliation of a week sums what the source reported in it; a
baseline's units were gained over the years before its report, so it must
leave them out. Rows recorded before this revision are recognised by what only
a baseline leaves: a cumulative number that added units without booking any
points (nor flagged as a drop).

Revision ID: review_baseline
Revises: daily_totals

"""

import sqlalchemy as sa
from alembic import op

revision = "review_baseline"
down_revision = "daily_totals"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("external_value", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("baseline", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        sa.text(
            "UPDATE external_value SET baseline = :yes WHERE period_kind = 'cumulative' "
            "AND ledger_entry_id IS NULL AND flagged = :no AND booked > 0"
        ).bindparams(yes=True, no=False)
    )


def downgrade():
    with op.batch_alter_table("external_value", schema=None) as batch_op:
        batch_op.drop_column("baseline")
