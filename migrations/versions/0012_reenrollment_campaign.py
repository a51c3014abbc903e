"""re-enrollment campaign: next school year's campaign (dates, planning opening) and one
answer per child (next class, activities, status)

Revision ID: 0012_reenrollment
Revises: 0011_reconciliation
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reenrollment_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('planning_opens_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reenrollment_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reenrollment_campaigns')),
    sa.UniqueConstraint('school_year', name=op.f('uq_reenrollment_campaigns_school_year'))
    )
    op.create_table('reenrollment_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('current_class', sa.String(length=40), nullable=False),
    sa.Column('next_class', sa.String(length=40), nullable=False),
    sa.Column('leaves', sa.Boolean(), nullable=False),
    sa.Column('activity_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('validated_at', sa.DateTime(), nullable=True),
    sa.Column('validated_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['reenrollment_campaigns.id'], name=op.f('fk_reenrollment_answers_campaign_id_reenrollment_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_reenrollment_answers_child_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_reenrollment_answers_family_id_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_reenrollment_answers_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['validated_by_id'], ['users.id'], name=op.f('fk_reenrollment_answers_validated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reenrollment_answers')),
    sa.UniqueConstraint('campaign_id', 'child_id', name=op.f('uq_reenrollment_answers_campaign_id_child_id'))
    )
    with op.batch_alter_table('reenrollment_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reenrollment_answers_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reenrollment_answers_family_id'), ['family_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reenrollment_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reenrollment_answers_family_id'))
        batch_op.drop_index(batch_op.f('ix_reenrollment_answers_campaign_id'))
    op.drop_table('reenrollment_answers')
    op.drop_table('reenrollment_campaigns')
