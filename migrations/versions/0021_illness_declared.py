"""illness declared by the parent: the declarations, and the town's rules for them
(until when today can be declared, the certificate's delay, the jours de carence).

Revision ID: 0019_illness_declared
Revises: 0018
Create Date: 2026-12-01 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_illness_declared'
down_revision = '0019_notifications'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('billing_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('illness_declaration_until', sa.Time(),
                                      server_default='09:00:00', nullable=False))
        batch_op.add_column(sa.Column('illness_certificate_days', sa.Integer(),
                                      server_default='3', nullable=False))
        batch_op.add_column(sa.Column('illness_carence_days', sa.Integer(),
                                      server_default='1', nullable=False))
    op.create_table(
        'illness_declarations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('declared_at', sa.DateTime(), nullable=False),
        sa.Column('declared_by_id', sa.Integer(), nullable=True),
        sa.Column('certificate_due_on', sa.Date(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('cells_released', sa.Integer(), nullable=False),
        sa.Column('cells_late', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['family_id'], ['families.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('illness_declarations', schema=None) as batch_op:
        batch_op.create_index('ix_illness_declarations_family_id', ['family_id'])
        batch_op.create_index('ix_illness_declarations_child_id', ['child_id'])
        batch_op.create_index('ix_illness_declarations_first_day', ['first_day'])
        batch_op.create_index('ix_illness_declarations_certificate_due_on',
                              ['certificate_due_on'])


def downgrade():
    op.drop_table('illness_declarations')
    with op.batch_alter_table('billing_settings', schema=None) as batch_op:
        batch_op.drop_column('illness_carence_days')
        batch_op.drop_column('illness_certificate_days')
        batch_op.drop_column('illness_declaration_until')
