"""create accounts schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Naive UTC everywhere (the app's UtcDateTime converts); MySQL needs fsp=6 to keep microseconds.
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_mobile_occurred_at"), ["mobile", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_type_occurred_at"), ["type", "occurred_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_user_id_occurred_at"), ["user_id", "occurred_at"], unique=False
        )

    op.create_table(
        "captcha_challenges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("answer_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captcha_challenges")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("captcha_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_captcha_challenges_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "sms_challenges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("client_ip", sa.String(length=45), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("spent", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_challenges")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_challenges_client_ip_created_at"), ["client_ip", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sms_challenges_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_challenges_mobile_created_at"), ["mobile", "created_at"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("nickname", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failure_at", UTC_DATETIME, nullable=True),
        sa.Column("locked_until", UTC_DATETIME, nullable=True),
        sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("mobile", name=op.f("uq_users_mobile")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )


def downgrade() -> None:
    op.drop_table("users")
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_challenges_mobile_created_at"))
        batch_op.drop_index(batch_op.f("ix_sms_challenges_expires_at"))
        batch_op.drop_index(batch_op.f("ix_sms_challenges_client_ip_created_at"))

    op.drop_table("sms_challenges")
    with op.batch_alter_table("captcha_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_captcha_challenges_expires_at"))

    op.drop_table("captcha_challenges")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_user_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_type_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_mobile_occurred_at"))

    op.drop_table("audit_events")
