"""accessibility statement (déclaration d'accessibilité RGAA 4.1), filled in by admins

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 11:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accessibility_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conformance", sa.String(length=10), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("non_accessible", sa.Text(), nullable=False),
        sa.Column("audit_date", sa.Date(), nullable=True),
        sa.Column("audit_method", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accessibility_statements")),
    )


def downgrade():
    op.drop_table("accessibility_statements")
