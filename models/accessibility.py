"""The town's accessibility statement (déclaration d'accessibilité, RGAA 4.1): the facts
an admin fills in once; the « Accessibilité » page linked from every footer says them."""
from datetime import date

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db

# État de conformité, as the RGAA names them.
NOT_COMPLIANT, PARTIAL, FULL = "non", "partielle", "totale"
CONFORMANCE = (NOT_COMPLIANT, PARTIAL, FULL)


class AccessibilityStatement(db.Model):
    __tablename__ = "accessibility_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    conformance: Mapped[str] = mapped_column(String(10), default=NOT_COMPLIANT)
    # Share of RGAA criteria met, as the audit found it ("78 %"), free text.
    rate: Mapped[str] = mapped_column(String(40), default="")
    non_accessible: Mapped[str] = mapped_column(Text, default="")
    audit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    audit_method: Mapped[str] = mapped_column(Text, default="")
    # How to report a problem; the service's email and phone when empty.
    contact: Mapped[str] = mapped_column(Text, default="")

    @classmethod
    def current(cls):
        """The one statement; an empty one, not yet stored, until an admin fills it in
        (reading the page writes nothing)."""
        statement = db.session.scalars(db.select(cls).order_by(cls.id).limit(1)).first()
        return statement or cls(conformance=NOT_COMPLIANT, rate="", non_accessible="",
                                audit_date=None, audit_method="", contact="")
