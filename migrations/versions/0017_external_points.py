"""Points and hours from other systems of record: 学习强国, 志愿汇, PU口袋校园.

Each source books into a category of its own (``category.external``: filled
by imports, never logged by members); every imported row keeps the number the
source reported and the part booked, so importing again books differences.
Seeds the built-in sources ``xuexi``, ``zyh`` and ``pu`` with their categories.

Revision ID: external_points
Revises: ended_sessions

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "external_points"
down_revision = "ended_sessions"
branch_labels = None
depends_on = None

# key, name_zh, name_en, unit, the category members log the same thing in
BUILT_IN = (
    ("xuexi", "学习强国积分", "Xuexi Qiangguo points", "points", "study"),
    ("zyh", "志愿汇时长", "Zhiyuanhui volunteer hours", "hours", "volunteer"),
    ("pu", "PU口袋校园学分", "PU campus credits", "credits", None),
)


def upgrade():
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("external", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "external_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("matching_category_id", sa.Integer(), nullable=True),
        sa.Column("points_per_unit", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_external_source_category_id_category")
        ),
        sa.ForeignKeyConstraint(
            ["matching_category_id"],
            ["category.id"],
            name=op.f("fk_external_source_matching_category_id_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_source")),
        sa.UniqueConstraint("category_id", name=op.f("uq_external_source_category_id")),
        sa.UniqueConstraint("key", name=op.f("uq_external_source_key")),
    )
    op.create_table(
        "external_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_external_import_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_external_import_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["external_source.id"],
            name=op.f("fk_external_import_source_id_external_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_import")),
    )
    op.create_index(
        "ix_external_import_source_period",
        "external_import",
        ["source_id", "period_start"],
        unique=False,
    )
    op.create_table(
        "external_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["external_import.id"],
            name=op.f("fk_external_value_import_id_external_import"),
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_external_value_ledger_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["external_source.id"],
            name=op.f("fk_external_value_source_id_external_source"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_external_value_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_value")),
        sa.UniqueConstraint("ledger_entry_id", name=op.f("uq_external_value_ledger_entry_id")),
    )
    op.create_index(
        op.f("ix_external_value_import_id"), "external_value", ["import_id"], unique=False
    )
    op.create_index(
        "ix_external_value_member",
        "external_value",
        ["source_id", "user_id", "period_kind", "period_start"],
        unique=False,
    )
    _seed_sources()


def _seed_sources():
    bind = op.get_bind()
    now = datetime.now(UTC)
    category = sa.table(
        "category", sa.column("id", sa.Integer), sa.column("key", sa.String),
        sa.column("name_zh", sa.String), sa.column("name_en", sa.String),
        sa.column("unit", sa.String), sa.column("needs_start_time", sa.Boolean),
        sa.column("needs_location", sa.Boolean), sa.column("needs_reflection", sa.Boolean),
        sa.column("needs_mentees", sa.Boolean), sa.column("approve_when_confirmed", sa.Boolean),
        sa.column("external", sa.Boolean), sa.column("sort_order", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)))
    source = sa.table(
        "external_source", sa.column("key", sa.String), sa.column("category_id", sa.Integer),
        sa.column("matching_category_id", sa.Integer), sa.column("points_per_unit", sa.Integer),
        sa.column("columns", sa.JSON), sa.column("created_at", sa.DateTime(timezone=True)))
    last = bind.scalar(sa.select(sa.func.max(category.c.sort_order))) or 0
    for n, (key, zh, en, unit, matching) in enumerate(BUILT_IN, 1):
        if bind.scalar(sa.select(category.c.id).where(category.c.key == key)) is not None:
            continue  # an administrator's own category already has the key
        bind.execute(category.insert().values(
            key=key, name_zh=zh, name_en=en, unit=unit, needs_start_time=False,
            needs_location=False, needs_reflection=False, needs_mentees=False,
            approve_when_confirmed=False, external=True, sort_order=last + n, created_at=now))
        category_id = bind.scalar(sa.select(category.c.id).where(category.c.key == key))
        matching_id = bind.scalar(sa.select(category.c.id).where(category.c.key == matching))
        bind.execute(source.insert().values(
            key=key, category_id=category_id, matching_category_id=matching_id,
            points_per_unit=10, columns={}, created_at=now))


def downgrade():
    op.drop_index("ix_external_value_member", table_name="external_value")
    op.drop_index(op.f("ix_external_value_import_id"), table_name="external_value")
    op.drop_table("external_value")
    op.drop_index("ix_external_import_source_period", table_name="external_import")
    op.drop_table("external_import")
    op.drop_table("external_source")
    op.execute("DELETE FROM category WHERE external")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_column("external")
