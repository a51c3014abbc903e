"""undo of a request; emails grouped per batch of taps, and of family-file decisions

Revision ID: 0019_undo_grouped_emails
Revises: 0018
Create Date: 2026-12-01 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0019_undo_grouped_emails"
down_revision = "0019_alsh_weeks_windows"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "email_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), server_default="requests", nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("receipt_at", sa.DateTime(), nullable=True),
        sa.Column("decision_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"],
                                name=op.f("fk_email_batches_family_id_families"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_email_batches_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["staff_user_id"], ["users.id"],
                                name=op.f("fk_email_batches_staff_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_batches")),
    )
    op.create_index(op.f("ix_email_batches_family_id"), "email_batches", ["family_id"])
    op.create_index(op.f("ix_email_batches_closes_at"), "email_batches", ["closes_at"])
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_requests_batch_id_email_batches"), "email_batches",
                                 ["batch_id"], ["id"], ondelete="SET NULL")
        batch.create_index(op.f("ix_requests_batch_id"), ["batch_id"])
    with op.batch_alter_table("change_requests") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_change_requests_batch_id_email_batches"),
                                 "email_batches", ["batch_id"], ["id"], ondelete="SET NULL")
        batch.create_index(op.f("ix_change_requests_batch_id"), ["batch_id"])


def downgrade():
    with op.batch_alter_table("change_requests") as batch:
        batch.drop_index(op.f("ix_change_requests_batch_id"))
        batch.drop_constraint(op.f("fk_change_requests_batch_id_email_batches"),
                              type_="foreignkey")
        batch.drop_column("batch_id")
    with op.batch_alter_table("requests") as batch:
        batch.drop_index(op.f("ix_requests_batch_id"))
        batch.drop_constraint(op.f("fk_requests_batch_id_email_batches"), type_="foreignkey")
        batch.drop_column("undone_at")
        batch.drop_column("batch_id")
    op.drop_index(op.f("ix_email_batches_closes_at"), table_name="email_batches")
    op.drop_index(op.f("ix_email_batches_family_id"), table_name="email_batches")
    op.drop_table("email_batches")
