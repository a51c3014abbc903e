"""régie: credit notes (avoirs) and their number series, supplementary invoices, the runs
that issue corrections; the reason of a line added after issue; reminders of unpaid
invoices and their transfer to the Trésor public; yearly statements in bulk

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_note_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_credit_note_counters'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited', sa.Numeric(precision=12, scale=2),
                                      nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('corrects_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invoices_corrects_id_invoices'),
                                    'invoices', ['corrects_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_invoices_corrects_id'), ['corrects_id'],
                              unique=False)
        batch_op.drop_constraint('uq_invoices_family_id_month', type_='unique')
        # One main invoice per family and month; supplementary ones are not counted.
        batch_op.create_index('uq_invoices_main_family_month', ['family_id', 'month'],
                              unique=True, sqlite_where=sa.text('corrects_id IS NULL'),
                              postgresql_where=sa.text('corrects_id IS NULL'))
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=24), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('billing_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_reminder_days', sa.Integer(), nullable=False,
                                      server_default='10'))
        batch_op.add_column(sa.Column('second_reminder_days', sa.Integer(), nullable=False,
                                      server_default='30'))
    op.create_table('invoice_follow_ups',
    sa.Column('invoice_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('first_reminder_at', sa.DateTime(), nullable=True),
    sa.Column('second_reminder_at', sa.DateTime(), nullable=True),
    sa.Column('treasury_at', sa.DateTime(), nullable=True),
    sa.Column('treasury_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_follow_ups_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['treasury_by_id'], ['users.id'], name=op.f('fk_invoice_follow_ups_treasury_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_invoice_follow_ups'))
    )
    op.create_table('correction_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('credit_notes', sa.Integer(), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_correction_runs_family_id_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_correction_runs_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_runs'))
    )
    with op.batch_alter_table('correction_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_runs_month'), ['month'], unique=False)
    op.create_table('statement_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_statement_batches_file_id_stored_files'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_statement_batches_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_batches'))
    )
    op.create_table('credit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('family_name', sa.String(length=120), nullable=False),
    sa.Column('family_address', sa.String(length=400), nullable=False),
    sa.Column('cancels', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_credit_notes_family_id_families')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_notes_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_credit_notes_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['correction_runs.id'], name=op.f('fk_credit_notes_run_id_correction_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number'))
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_notes_invoice_id'), ['invoice_id'], unique=False)
    op.create_table('credit_note_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('child_name', sa.String(length=170), nullable=False),
    sa.Column('activity_name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('days', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_credit_note_lines_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_credit_note_lines_child_id_children'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], name=op.f('fk_credit_note_lines_credit_note_id_credit_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_lines'))
    )
    with op.batch_alter_table('credit_note_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_lines_credit_note_id'), ['credit_note_id'], unique=False)


def downgrade():
    op.drop_table('credit_note_lines')
    op.drop_table('credit_notes')
    op.drop_table('correction_runs')
    op.drop_table('statement_batches')
    op.drop_table('invoice_follow_ups')
    with op.batch_alter_table('billing_settings', schema=None) as batch_op:
        batch_op.drop_column('second_reminder_days')
        batch_op.drop_column('first_reminder_days')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_invoices_main_family_month')
        batch_op.create_unique_constraint('uq_invoices_family_id_month', ['family_id', 'month'])
        batch_op.drop_index(batch_op.f('ix_invoices_corrects_id'))
        batch_op.drop_constraint(batch_op.f('fk_invoices_corrects_id_invoices'), type_='foreignkey')
        batch_op.drop_column('corrects_id')
        batch_op.drop_column('credited')
    op.drop_table('credit_note_counters')
