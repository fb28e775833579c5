"""people: the language each person chose last in the apps

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for everyone so far: her pages follow her browser's language until she chooses one
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    # SQLite drops the column in place (3.35+): copying the table would mean dropping "users",
    # which the sessions' foreign key refuses while anyone is signed in
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("language")
