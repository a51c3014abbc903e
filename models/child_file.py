"""What the family file says about each child besides names and school: authorizations,
health data (données sanitaires) and the adults authorized to pick the child up."""
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

# The authorizations every town asks for; a town adds its own as AuthorizationType rows.
BUILTIN_AUTHORIZATIONS = ("leave_alone", "image_rights", "emergency_care")
TOWN_AUTHORIZATION_PREFIX = "town_"

# What the kitchen needs to know, nothing more (CNIL: never a religious label).
DIETS = ("sans_porc", "sans_viande", "vegetarien", "sans_gluten", "sans_lactose")


class AuthorizationType(db.Model):
    """An authorization the town asks parents for, beyond the built-in ones."""
    __tablename__ = "authorization_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def kind(self):
        return f"{TOWN_AUTHORIZATION_PREFIX}{self.id}"

    @classmethod
    def ordered(cls, active_only=False):
        statement = select(cls).order_by(cls.id)
        if active_only:
            statement = statement.where(cls.active.is_(True))
        return db.session.scalars(statement).all()

    @classmethod
    def active_kinds(cls):
        """Every authorization a parent answers today, built-in ones first."""
        return list(BUILTIN_AUTHORIZATIONS) + [t.kind for t in cls.ordered(active_only=True)]


class ChildAuthorization(db.Model):
    """A parent's answer (yes or no) to one authorization for one child."""
    __tablename__ = "child_authorizations"
    __table_args__ = (UniqueConstraint("child_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"),
                                          index=True)
    # One of BUILTIN_AUTHORIZATIONS, or "town_<AuthorizationType.id>".
    kind: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool] = mapped_column(Boolean, default=False)

    child = relationship("Child", back_populates="authorizations")


class HealthRecord(db.Model):
    """Données sanitaires: only what care and the kitchen need, never a diagnosis."""
    __tablename__ = "health_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"),
                                          unique=True)
    allergies: Mapped[str] = mapped_column(Text, default="")
    diets: Mapped[list] = mapped_column(JSON, default=list)
    pai: Mapped[bool] = mapped_column(Boolean, default=False)
    disability: Mapped[bool] = mapped_column(Boolean, default=False)
    doctor_name: Mapped[str] = mapped_column(String(120), default="")
    doctor_phone: Mapped[str] = mapped_column(String(30), default="")
    vaccinations_up_to_date: Mapped[bool | None] = mapped_column(Boolean)
    remarks: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    child = relationship("Child", back_populates="health_record")


class AuthorizedPerson(db.Model):
    """An adult who may pick the child up and/or is called in an emergency."""
    __tablename__ = "authorized_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"),
                                          index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # How the adult is related to the child: grand-mère, voisin, nourrice…
    relation: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    may_pick_up: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    child = relationship("Child", back_populates="authorized_persons")


def health_record_of(child, create=False):
    """The child's health record; a blank one (not stored) when there is none yet."""
    if child.health_record is None:
        record = HealthRecord(allergies="", diets=[], pai=False, disability=False,
                              doctor_name="", doctor_phone="", remarks="")
        if not create:
            return record
        child.health_record = record
    return child.health_record


def authorization_answers(child):
    """{kind: granted} for the answers given so far."""
    return {a.kind: a.granted for a in child.authorizations}


def set_authorization(child, kind, granted):
    for answer in child.authorizations:
        if answer.kind == kind:
            answer.granted = granted
            return
    child.authorizations.append(ChildAuthorization(kind=kind, granted=granted))
