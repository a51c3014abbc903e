"""reconciliation: a presence without reservation confirmed as billed (reviewed), and
how such a presence is priced (surcharge, fixed price or the usual price)

Revision ID: 0011_reconciliation
Revises: 0010_family_search
Create Date: 2026-12-01 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attendances_reviewed_by_id_users'),
                                    'users', ['reviewed_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('billing_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unreserved_pricing', sa.String(length=10),
                                      nullable=False, server_default='surcharge'))
        batch_op.add_column(sa.Column('unreserved_fixed_price', sa.Numeric(precision=12,
                                                                            scale=2),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('billing_settings', schema=None) as batch_op:
        batch_op.drop_column('unreserved_fixed_price')
        batch_op.drop_column('unreserved_pricing')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendances_reviewed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
