"""Administration: runtime setting overrides, activation links, an append-only audit table.

Revision ID: admin
Revises: events
"""

import sqlalchemy as sa
from alembic import op

revision = "admin"
down_revision = "events"
branch_labels = None
depends_on = None

# The audit trail must not be rewritten by the application: any UPDATE or
# DELETE of a row raises, on both databases.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade():
    op.create_table(
        "setting_override",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_setting_override_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting_override")),
    )
    op.create_table(
        "activation_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_activation_token_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_activation_token_token_hash")),
    )
    with op.batch_alter_table("activation_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activation_token_user_id"), ["user_id"], unique=False
        )
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    with op.batch_alter_table("activation_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_token_user_id"))
    op.drop_table("activation_token")
    op.drop_table("setting_override")
