"""account lifecycle: 注销 with a cool-off (users.deletion_due_at), ids never reused, consents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _sqlite_autoincrement(on: bool) -> None:
    """Erasing an account deletes its row: without AUTOINCREMENT, SQLite hands the highest id out again, and
    the old account's audit events would name the new one. Only a rebuilt table changes that."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": on}):
            pass


def upgrade() -> None:
    _sqlite_autoincrement(True)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deletion_due_at", UTC_DATETIME, nullable=True))
        batch_op.create_index(batch_op.f("ix_users_deletion_due_at"), ["deletion_due_at"], unique=False)

    op.create_table(
        "consents",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("document", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("given_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_consents_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("consents")  # with its index: MySQL refuses to drop an index its foreign key uses
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_deletion_due_at"))
        batch_op.drop_column("deletion_due_at")
    _sqlite_autoincrement(False)
