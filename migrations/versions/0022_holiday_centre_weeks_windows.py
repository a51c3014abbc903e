"""holiday centres: booking by whole weeks, booking windows per school-holiday period.

Revision ID: 0019_alsh_weeks_windows
Revises: 0018
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_alsh_weeks_windows'
down_revision = "0019_illness_declared"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked_by_week', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'booking_windows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('school_year', sa.Integer(), nullable=False),
        sa.Column('period_name', sa.String(length=80), nullable=False),
        sa.Column('opens_on', sa.Date(), nullable=False),
        sa.Column('closes_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'],
                                name=op.f('fk_booking_windows_activity_id_activities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_windows')),
    )
    with op.batch_alter_table('booking_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_windows_activity_id'), ['activity_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('booking_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_windows_activity_id'))
    op.drop_table('booking_windows')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('booked_by_week')
