"""family search: the folded words a family is found by (names without accents or case,
emails, phone digits), filled for the existing families

Revision ID: 0010_family_search
Revises: 0009
Create Date: 2026-12-01 10:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False,
                                      server_default=''))
    fill(op.get_bind())


def fill(connection):
    """The same words the model writes on every change (models.family.search_text_of)."""
    from models.family import search_text_of

    guardians, children = {}, {}
    for row in connection.execute(sa.text(
            "SELECT family_id, first_name, last_name, email, mobile_phone, home_phone, "
            "work_phone FROM guardians ORDER BY id")):
        guardians.setdefault(row[0], []).append(tuple(row[1:]))
    for row in connection.execute(sa.text(
            "SELECT family_id, first_name, last_name FROM children ORDER BY id")):
        children.setdefault(row[0], []).append(tuple(row[1:]))
    for family_id, name in connection.execute(sa.text("SELECT id, name FROM families")).all():
        connection.execute(
            sa.text("UPDATE families SET search_text = :text WHERE id = :id"),
            {"id": family_id, "text": search_text_of(name, guardians.get(family_id, []),
                                                      children.get(family_id, []))})


def downgrade():
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.drop_column('search_text')
