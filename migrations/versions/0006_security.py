"""security: tries on an SMS code are counted per client address as well as overall

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tries_by_client", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.drop_column("tries_by_client")
