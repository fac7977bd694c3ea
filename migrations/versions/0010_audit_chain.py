"""The audit log becomes a hash chain, and REPLACE and TRUNCATE are refused too.

Each row gets the hash of the row before it and of its own content
(``prev_hash``, ``row_hash``); existing rows are chained in id order here.
SQLite's ``INSERT OR REPLACE`` deleted a row without firing the DELETE
trigger: a BEFORE INSERT trigger now refuses an id that exists. PostgreSQL's
row triggers do not see ``TRUNCATE``: a statement trigger refuses it.

The hashing below is a copy of ``tracker.audit.row_hash`` as it was when
this migration was written: a migration must not change with later code.

Revision ID: audit_chain
Revises: activity_words
"""

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "audit_chain"
down_revision = "activity_words"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
SQLITE_NO_REPLACE = """CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
    WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"""
POSTGRES_NO_TRUNCATE = [
    """CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate()""",
]


def _row_hash(row, prev_hash: str) -> str:
    created = row.created_at
    if isinstance(created, str):  # SQLite hands the stored text back
        from datetime import datetime

        created = datetime.fromisoformat(created)
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    details = row.details
    if isinstance(details, str):
        details = json.loads(details)
    content = [
        created.isoformat(timespec="microseconds"),
        row.action,
        row.actor_id,
        row.subject_id,
        row.branch_id,
        row.target_type,
        row.target_id,
        details or {},
        row.ip_address,
    ]
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + data).encode()).hexdigest()


def _chain_existing_rows(bind) -> None:
    rows = bind.execute(
        sa.text(
            "SELECT id, created_at, action, actor_id, subject_id, branch_id, target_type, "
            "target_id, details, ip_address FROM audit_event ORDER BY id"
        )
    ).all()
    prev = GENESIS
    for row in rows:
        current = _row_hash(row, prev)
        bind.execute(
            sa.text("UPDATE audit_event SET prev_hash = :prev, row_hash = :hash WHERE id = :id"),
            {"prev": prev, "hash": current, "id": row.id},
        )
        prev = current


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("row_hash", sa.String(length=64), nullable=True))
    # The append-only triggers refuse the UPDATE that chains the old rows.
    if postgres:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    _chain_existing_rows(bind)
    if postgres:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        for statement in POSTGRES_NO_TRUNCATE:
            op.execute(statement)
    else:
        op.execute(
            """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
               BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"""
        )
        op.execute(SQLITE_NO_REPLACE)
    op.create_index("uq_audit_event_row_hash", "audit_event", ["row_hash"], unique=True)


def downgrade():
    bind = op.get_bind()
    op.drop_index("uq_audit_event_row_hash", table_name="audit_event")
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_no_truncate()")
        op.drop_column("audit_event", "row_hash")
        op.drop_column("audit_event", "prev_hash")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_replace")
        # SQLite rebuilds the table to drop a column; the rebuilt table needs
        # its triggers again.
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        with op.batch_alter_table("audit_event") as batch_op:
            batch_op.drop_column("row_hash")
            batch_op.drop_column("prev_hash")
        op.execute(
            """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
               BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"""
        )
        op.execute(
            """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
               BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"""
        )
