"""operators: the console's operators, their sessions, the dashboard's daily roll-up; users can be disabled

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin", "mysql_engine": "InnoDB"}

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret", sa.String(length=255), nullable=True),
        sa.Column("enrolled_at", UTC_DATETIME, nullable=True),
        sa.Column("last_totp_step", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("recovery_codes", sa.JSON(), nullable=False),
        sa.Column("setup_digest", sa.String(length=64), nullable=True),
        sa.Column("setup_expires_at", UTC_DATETIME, nullable=True),
        sa.Column("disabled_at", UTC_DATETIME, nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failure_at", UTC_DATETIME, nullable=True),
        sa.Column("locked_until", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("setup_digest", name=op.f("uq_operators_setup_digest")),
        sa.UniqueConstraint("username", name=op.f("uq_operators_username")),
        **MYSQL_TABLE,
    )
    op.create_table(
        "operator_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_operator_sessions_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_operator_sessions")),
        **MYSQL_TABLE,
    )
    with op.batch_alter_table("operator_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operator_sessions_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_operator_sessions_started_at"), ["started_at"], unique=False)
    op.create_table(
        "event_day_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", name=op.f("pk_event_day_counts")),
        **MYSQL_TABLE,
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", UTC_DATETIME, nullable=True))
        batch_op.create_index(batch_op.f("ix_users_nickname"), ["nickname"], unique=False)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_ip_occurred_at"), ["ip", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_ip_occurred_at"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_nickname"))
        batch_op.drop_column("disabled_at")
    op.drop_table("event_day_counts")
    op.drop_table("operator_sessions")  # with its indexes (MySQL will not drop the foreign key's index alone)
    op.drop_table("operators")
