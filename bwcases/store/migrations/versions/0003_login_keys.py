"""sign-in: one spelling of each user's name to compare (users.login_key)

Revision ID: 0003
Revises: 0002
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # bwcases.core.domain.login_key as it was when this migration was written (history stays put)
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("login_key", sa.String(length=200), nullable=True))
    users = sa.table("users", sa.column("name", sa.String), sa.column("login_key", sa.String))
    conn = op.get_bind()
    names = [row[0] for row in conn.execute(sa.select(users.c.name))]
    keys: dict[str, list[str]] = {}
    for name in names:
        keys.setdefault(_key(name), []).append(name)
    for key, spellings in keys.items():
        if len(spellings) == 1:  # two users one sign-in name apart stay without a key (NULL):
            conn.execute(  # neither could sign in before; an admin renames one of them
                users.update().where(users.c.name == spellings[0]).values(login_key=key)
            )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_users_login_key"), ["login_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_login_key"), type_="unique")
        batch_op.drop_column("login_key")
