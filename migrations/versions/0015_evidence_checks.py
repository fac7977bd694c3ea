"""Evidence photos carry a perceptual hash and the day they were taken.

The same red-site photo was reused by every member of a group, or again the
next term, and a photo taken last year backed a claim dated today. Each image
now keeps its perceptual hash (as 16 hex digits and as four indexed 16-bit
bands, so near copies are found without reading every row) and the capture
day from its EXIF, read before the upload's re-encode drops the EXIF. Rows
stored before this revision get their hash from `flask evidence rehash`; their
capture day is gone with their EXIF.

Revision ID: evidence_checks
Revises: event_trust

"""

import sqlalchemy as sa
from alembic import op

revision = "evidence_checks"
down_revision = "event_trust"
branch_labels = None
depends_on = None

BANDS = [f"hash_band_{n}" for n in range(4)]


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_hash", sa.String(length=16), nullable=True))
        for band in BANDS:
            batch_op.add_column(sa.Column(band, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("captured_on", sa.Date(), nullable=True))
        for band in BANDS:
            batch_op.create_index(f"ix_evidence_{band}", [band], unique=False)


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        for band in BANDS:
            batch_op.drop_index(f"ix_evidence_{band}")
        batch_op.drop_column("captured_on")
        for band in reversed(BANDS):
            batch_op.drop_column(band)
        batch_op.drop_column("photo_hash")
