"""reference stamp: changes with the town, activities, closures, booking windows and
billing settings, so each process can keep them between requests (models/reference.py)

Revision ID: 0024_reference_stamps
Revises: 0019_undo_grouped_emails
Create Date: 2026-12-01 16:30:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0024_reference_stamps"
down_revision = "0019_undo_grouped_emails"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "reference_stamps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_stamps")),
    )
    op.bulk_insert(table, [{"id": 1, "stamp": uuid.uuid4().hex}])


def downgrade():
    op.drop_table("reference_stamps")
