"""Points certificates (积分证明): what was certified, and the ledger rows it counted.

``certificate`` keeps what a certificate said when issued (period, totals, the
lines per category, the milestones reached) and its random verification code;
``certificate_entry`` the ledger rows it added up, so that a reversal booked
later shows it as revoked on the public verification page.

Revision ID: certificates
Revises: motivation

"""

import sqlalchemy as sa
from alembic import op

revision = "certificates"
down_revision = "motivation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("period_name", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("points_tenths", sa.Integer(), nullable=False),
        sa.Column("hours_tenths", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_certificate_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["user.id"], name=op.f("fk_certificate_issued_by_id_user")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_certificate_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
    )
    op.create_index(op.f("ix_certificate_user_id"), "certificate", ["user_id"], unique=False)
    op.create_table(
        "certificate_entry",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_entry_certificate_id_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"], name=op.f("fk_certificate_entry_entry_id_ledger_entry")
        ),
        sa.PrimaryKeyConstraint("certificate_id", "entry_id", name=op.f("pk_certificate_entry")),
    )


def downgrade():
    op.drop_table("certificate_entry")
    op.drop_index(op.f("ix_certificate_user_id"), table_name="certificate")
    op.drop_table("certificate")
