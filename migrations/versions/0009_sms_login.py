"""验证码登录: an account made by SMS sign-in has no password until its owner sets one

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# SQLite rebuilds the table for this change: it must keep AUTOINCREMENT (0005), or erased accounts' ids come back.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)


def downgrade() -> None:
    # The old schema needs a hash: password-less accounts get '!', which no password verifies against (the
    # hasher treats a malformed hash as a mismatch); their owners sign in again through 忘记密码.
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table("users", schema=None, table_kwargs=KEEP_AUTOINCREMENT) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
