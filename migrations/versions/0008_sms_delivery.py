"""SMS delivery: the send's status, provider and message id on each code; per-mobile and per-address quota rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_quotas",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("touched_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_sms_quotas")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("sms_quotas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_quotas_touched_at"), ["touched_at"], unique=False)

    # Codes stored before this revision were sent under the old path: "sent".
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="sent", nullable=False))
        batch_op.add_column(sa.Column("provider", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_sms_challenges_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_challenges_message_id"))
        batch_op.drop_column("delivery")
        batch_op.drop_column("message_id")
        batch_op.drop_column("provider")
        batch_op.drop_column("status")

    with op.batch_alter_table("sms_quotas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_quotas_touched_at"))
    op.drop_table("sms_quotas")
