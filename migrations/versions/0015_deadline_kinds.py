"""deadline kinds: per activity, the kind of the reservation deadline, a cancellation
rule of its own (empty: the reservation rule) and a booking horizon. The defaults keep
every existing activity's rule as it was.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_kind', sa.String(length=20),
                                      server_default='days_before', nullable=False))
        batch_op.add_column(sa.Column('cancel_deadline_kind', sa.String(length=20),
                                      nullable=True))
        batch_op.add_column(sa.Column('cancel_deadline_days', sa.Integer(),
                                      server_default='2', nullable=False))
        batch_op.add_column(sa.Column('cancel_deadline_time', sa.Time(),
                                      server_default='10:00:00', nullable=False))
        batch_op.add_column(sa.Column('cancel_deadline_working_days', sa.Boolean(),
                                      server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('booking_horizon_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('booking_horizon_days')
        batch_op.drop_column('cancel_deadline_working_days')
        batch_op.drop_column('cancel_deadline_time')
        batch_op.drop_column('cancel_deadline_days')
        batch_op.drop_column('cancel_deadline_kind')
        batch_op.drop_column('deadline_kind')
