"""holiday centres: an activity that runs during the school holidays only.

Revision ID: 0009_holiday_centres
Revises: 0008_waiting_lists
Create Date: 2026-12-01 11:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_holiday_centres'
down_revision = '0008_waiting_lists'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holidays_only', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('holidays_only')
