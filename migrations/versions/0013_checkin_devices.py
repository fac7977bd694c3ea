"""Check-ins the committee can defend: what each check-in showed, voiding, scan-only events.

A rotating code relayed by a screenshot or a video call still checked a
roommate in, and nothing showed it. Each check-in now keeps its door (web,
API session or API token), a keyed hash of the device cookie and the age of
the session it came from, so the committee sees one device checking in
several members or a login made just to check in. The committee can void an
attendance (with who, when and why), and an event can be "scan only": the
committee scans each member's personal code instead.

The attendance statuses "scanned" and "voided" need no change to the
schema: statuses are stored as plain strings.

Revision ID: checkin_devices
Revises: account_security

"""

import sqlalchemy as sa
from alembic import op

revision = "checkin_devices"
down_revision = "account_security"
branch_labels = None
depends_on = None

DOORS = ("web", "api_session", "api_token")


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scan_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "door",
                sa.Enum(*DOORS, name="checkin_door", native_enum=False, length=24),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("device_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("session_age", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("voided_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_attendance_voided_by_id_user"), "user", ["voided_by_id"], ["id"]
        )


def downgrade():
    # Voided and scanned attendances have no meaning before this revision:
    # a voided one goes back to no attendance, a scanned one to "present".
    attendance = sa.table("attendance", sa.column("status", sa.String))
    op.execute(attendance.delete().where(attendance.c.status == "voided"))
    op.execute(
        attendance.update().where(attendance.c.status == "scanned").values(status="present")
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_attendance_voided_by_id_user"), type_="foreignkey")
        for name in ("voided_by_id", "voided_at", "void_reason", "session_age", "device_hash"):
            batch_op.drop_column(name)
        batch_op.drop_column("door")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("scan_only")
