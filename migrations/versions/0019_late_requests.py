"""late requests: per activity and action, what a late line gets (refused, accepted with
a surcharge, or submitted to the staff); the surcharge in the billing rules; per request
line, the late rule that applied and the staff's decision.

Revision ID: 0019_late_requests
Revises: 0018
Create Date: 2026-12-01 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0019_late_requests"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_reserve_policy", sa.String(length=10),
                                      server_default="refused", nullable=False))
        batch_op.add_column(sa.Column("late_cancel_policy", sa.String(length=10),
                                      server_default="refused", nullable=False))
    with op.batch_alter_table("billing_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_pricing", sa.String(length=10),
                                      server_default="surcharge", nullable=False))
        batch_op.add_column(sa.Column("late_surcharge_percent", sa.Numeric(5, 2),
                                      server_default="50.00", nullable=False))
        batch_op.add_column(sa.Column("late_fixed_price", sa.Numeric(12, 2), nullable=True))
    with op.batch_alter_table("request_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_rule", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("staff_decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("staff_note", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_request_lines_staff_decided_by_id_users"), "users",
            ["staff_decided_by_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_request_lines_outcome"), ["outcome"])


def downgrade():
    with op.batch_alter_table("request_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_lines_outcome"))
        batch_op.drop_constraint(batch_op.f("fk_request_lines_staff_decided_by_id_users"),
                                 type_="foreignkey")
        batch_op.drop_column("staff_note")
        batch_op.drop_column("staff_decided_by_id")
        batch_op.drop_column("late_rule")
    with op.batch_alter_table("billing_settings", schema=None) as batch_op:
        batch_op.drop_column("late_fixed_price")
        batch_op.drop_column("late_surcharge_percent")
        batch_op.drop_column("late_pricing")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("late_cancel_policy")
        batch_op.drop_column("late_reserve_policy")
