"""waiting lists: per activity, a waiting list for full days (promotion by itself or by
the staff's hand); per planning cell, its position in line.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 10:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_list', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('promote_by_hand', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_position', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('waiting_position')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('promote_by_hand')
        batch_op.drop_column('waiting_list')
