"""retention: the periods admins set per kind of data (defaults in models/retention.py)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_settings',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_retention_settings'))
    )


def downgrade():
    op.drop_table('retention_settings')
