"""The town (collectivité) running the portal: its contact details and settings."""
from functools import cache

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.reference import reference_data, reference_rows

HOLIDAY_ZONES = ("A", "B", "C")
DEFAULT_AUDIT_RETENTION_MONTHS = 12


@reference_data
class Town(db.Model):
    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    service_name: Mapped[str] = mapped_column(String(120), default="Service enfance")
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    holiday_zone: Mapped[str] = mapped_column(String(1), default="B")
    # How long the audit log keeps its rows; admins set it (see jobs/sweep.py).
    audit_retention_months: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_AUDIT_RETENTION_MONTHS,
        server_default=str(DEFAULT_AUDIT_RETENTION_MONTHS))

    @classmethod
    def current(cls):
        """The portal serves one town; its row is created by `flask demo` or `flask town`."""
        rows = reference_rows("town", _town())
        return rows[0] if rows else None

    @classmethod
    def audit_retention(cls):
        town = cls.current()
        return town.audit_retention_months if town else DEFAULT_AUDIT_RETENTION_MONTHS

    @property
    def postal_address(self):
        return f"{self.address_line}, {self.postal_code} {self.city}".strip(", ")


@cache
def _town():
    return db.select(Town).order_by(Town.id).limit(1)
