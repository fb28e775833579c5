"""the factory's own people and their proposals, comments, the PICC register, reminders

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for everyone so far: programme people, none of them with a mail address yet. No
    # foreign key: SQLite would copy "users", which its sessions' key refuses while anyone is
    # signed in; auth.accounts checks the factory exists.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("factory_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decisions", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("minutes_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("minutes_filename", sa.String(length=255), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_visits_minutes_sha256_evidence_files"),
            "evidence_files",
            ["minutes_sha256"],
            ["sha256"],
        )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.alter_column("decisions", server_default=None)
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factory_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factory_id"],
            ["factories.factory_id"],
            name=op.f("fk_proposals_factory_id_factories"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["plan_items.id"], name=op.f("fk_proposals_item_id_plan_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index(op.f("ix_proposals_factory_id"), "proposals", ["factory_id"])
    op.create_index(op.f("ix_proposals_item_id"), "proposals", ["item_id"])
    op.create_index(op.f("ix_proposals_state"), "proposals", ["state"])
    op.create_table(
        "proposal_evidence",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_evidence_proposal_id_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["evidence_files.sha256"],
            name=op.f("fk_proposal_evidence_sha256_evidence_files"),
        ),
        sa.PrimaryKeyConstraint("proposal_id", "sha256", name=op.f("pk_proposal_evidence")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["plan_items.id"], name=op.f("fk_comments_item_id_plan_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_item_id"), "comments", ["item_id"])
    op.create_table(
        "picc_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factory_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("selection", sa.String(length=20), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["factory_id"],
            ["factories.factory_id"],
            name=op.f("fk_picc_members_factory_id_factories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_picc_members")),
    )
    op.create_index(op.f("ix_picc_members_factory_id"), "picc_members", ["factory_id"])
    op.create_table(
        "digests_sent",
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("person", "day", name=op.f("pk_digests_sent")),
    )


def downgrade() -> None:
    op.drop_table("digests_sent")
    op.drop_index(op.f("ix_picc_members_factory_id"), table_name="picc_members")
    op.drop_table("picc_members")
    op.drop_index(op.f("ix_comments_item_id"), table_name="comments")
    op.drop_table("comments")
    op.drop_table("proposal_evidence")
    op.drop_index(op.f("ix_proposals_state"), table_name="proposals")
    op.drop_index(op.f("ix_proposals_item_id"), table_name="proposals")
    op.drop_index(op.f("ix_proposals_factory_id"), table_name="proposals")
    op.drop_table("proposals")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_visits_minutes_sha256_evidence_files"), type_="foreignkey"
        )
        batch_op.drop_column("minutes_filename")
        batch_op.drop_column("minutes_sha256")
        batch_op.drop_column("decisions")
    # SQLite drops the columns in place (see 0006)
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("email")
        batch_op.drop_column("factory_id")
