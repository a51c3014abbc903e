"""The family file (dossier famille): the household, its guardians and children."""
import hmac
import secrets
import unicodedata
from datetime import date, datetime
from functools import cache
from hashlib import sha256

from flask import current_app
from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    event,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.clock import utcnow
from models.db_tools import as_loaded

# Crockford's base 32: no I, L, O or U, so a code read aloud or copied is unambiguous.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 bits, and attempts are rate-limited
CODE_PREFIX = "PF"
_CODE_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})

# Planning colours: each meets WCAG AA contrast with white text (see portail.css).
PLANNING_COLOURS = 8


def normalize_subscriber_code(code):
    """'pf-7k3m9 x2q4p' -> '7K3M9X2Q4P'; the prefix, spaces and dashes are optional."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if cleaned.startswith(CODE_PREFIX) and len(cleaned) == CODE_LENGTH + len(CODE_PREFIX):
        cleaned = cleaned[len(CODE_PREFIX):]
    return cleaned.translate(_CODE_LOOKALIKES)


def format_subscriber_code(raw):
    return f"{CODE_PREFIX}-{raw[:5]}-{raw[5:]}"


def subscriber_code_digest(code):
    key = current_app.config["SUBSCRIBER_CODE_KEY"].encode()
    return hmac.new(key, normalize_subscriber_code(code).encode(), sha256).hexdigest()


def fold_name(name):
    """Compare names without case, accents or hyphens: 'Hélène-Marie' == 'helene marie'."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for separator in "-'’.":
        letters = letters.replace(separator, " ")
    return " ".join(letters.casefold().split())


# --- Search (staff's family list) -----------------------------------------------------
# SQL cannot fold accents the same way on SQLite and PostgreSQL (SQLite's LIKE folds
# ASCII case only), so each family carries its words already folded: names without
# accents or case, emails in lower case, phones as digits. A search folds the query the
# same way and asks every word of it to be in there, in any order.
SEARCH_LIMIT = 50


def fold_words(text):
    """'Léa DUPONT-Éléonore' -> 'lea dupont eleonore'."""
    return fold_name(text)


def phone_digits(phone):
    """'+33 6 12 34 56 78' and '06.12.34.56.78' -> '0612345678'."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def search_text_of(family_name, guardians, children):
    """The folded words a family is found by. guardians: (first name, last name, email,
    phones...) tuples; children: (first name, last name) tuples."""
    words = [fold_words(family_name)]
    for first, last, email, *phones in guardians:
        words += [fold_words(f"{first} {last}"), (email or "").strip().casefold()]
        words += [phone_digits(p) for p in phones]
    words += [fold_words(f"{first} {last}") for first, last in children]
    return " ".join(w for w in words if w)


def search_terms(query):
    """The words a query must all match: folded names, or one number for a phone."""
    query = (query or "").strip()
    if query and all(ch.isdigit() or ch in " .-+/()" for ch in query):
        digits = phone_digits(query)
        return [digits] if digits else []
    return fold_words(query).split()


class Family(db.Model):
    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    # A keyed hash of the subscriber code; the code itself is shown once, when issued.
    subscriber_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Direct debit (SEPA): the IBAN is stored compact and only ever shown masked.
    bank_holder: Mapped[str] = mapped_column(String(120), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    # Billing (set by staff): the family quotient (QF) in euros, None while unknown (the
    # default bracket of the billing settings applies), and the SEPA direct-debit mandate
    # signed by the holder of the account above (unique mandate reference, RUM).
    quotient: Mapped[int | None] = mapped_column(Integer)
    mandate_reference: Mapped[str] = mapped_column(String(35), default="")
    mandate_signed_on: Mapped[date | None] = mapped_column(Date)
    # What the staff's search looks into, kept up to date on every flush (see below).
    search_text: Mapped[str] = mapped_column(Text, default="")

    guardians = relationship("Guardian", back_populates="family", order_by="Guardian.id",
                             cascade="all, delete-orphan")
    children = relationship("Child", back_populates="family",
                            order_by="(Child.birth_date, Child.id)", cascade="all, delete-orphan")

    def loaded_children(self):
        """self.children, read in Core when not loaded yet: every planning page reads
        them, and the ORM's lazy load costs about four times this (bench/serial.py)."""
        if "children" not in self.__dict__:
            rows = db.session.execute(_children_of(), {"family_id": self.id})
            children = [as_loaded(Child, row._mapping) for row in rows]
            for child in children:
                set_committed_value(child, "family", self)
            set_committed_value(self, "children", children)
        return self.children

    def issue_subscriber_code(self, raw=None):
        """Give the family a new code (the previous one stops working); returns it formatted."""
        raw = raw or "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        self.subscriber_code_hash = subscriber_code_digest(raw)
        self.code_issued_at = utcnow()
        return format_subscriber_code(normalize_subscriber_code(raw))

    @classmethod
    def by_subscriber_code(cls, code):
        if len(normalize_subscriber_code(code)) != CODE_LENGTH:
            return None
        digest = subscriber_code_digest(code)
        return db.session.scalar(select(cls).where(cls.subscriber_code_hash == digest))

    def guardian_for_registration(self, first_name, last_name):
        """The guardian a new account with these names is linked to.

        The names must be those of a guardian of the file (case, accents and hyphens
        aside), so a code seen by someone else is not enough, and each guardian gets
        their own account. Returns (guardian, None), or (None, reason) where reason is
        'used' (that guardian, or every guardian, has an account) or 'no_match'.
        """
        now = utcnow()
        wanted = (fold_name(first_name), fold_name(last_name))
        free = [g for g in self.guardians
                if g.user is None or g.user.is_abandoned_registration(now)]
        for guardian in free:
            if (fold_name(guardian.first_name), fold_name(guardian.last_name)) == wanted:
                return guardian, None
        taken = any((fold_name(g.first_name), fold_name(g.last_name)) == wanted
                    for g in self.guardians)
        return None, "used" if taken or not free else "no_match"

    @classmethod
    def with_guardian_named(cls, first_name, last_name):
        """Families with a guardian of that name (case, accents and hyphens aside): a new
        file for them is likely a second one. Names are compared in Python (SQL cannot
        fold accents); a town has a few thousand guardians and this runs on creation only."""
        wanted = (fold_name(first_name), fold_name(last_name))
        rows = db.session.execute(select(Guardian.family_id, Guardian.first_name,
                                         Guardian.last_name)).all()
        ids = sorted({family_id for family_id, first, last in rows
                      if (fold_name(first), fold_name(last)) == wanted})
        if not ids:
            return []
        return db.session.scalars(select(cls).where(cls.id.in_(ids)).options(
            selectinload(cls.guardians), selectinload(cls.children)).order_by(cls.id)).all()

    def refresh_search_text(self, leaving=()):
        guardians = [(g.first_name, g.last_name, g.email, g.mobile_phone, g.home_phone,
                      g.work_phone) for g in self.guardians if g not in leaving]
        children = [(c.first_name, c.last_name) for c in self.children if c not in leaving]
        self.search_text = search_text_of(self.name, guardians, children)

    @classmethod
    def search(cls, query, limit=SEARCH_LIMIT):
        """Families found by a child's, a guardian's or the file's name (any case, any
        accents, full name in any order), a guardian's phone or email; all families
        without a query. Sorted by name."""
        statement = select(cls).options(selectinload(cls.guardians),
                                        selectinload(cls.children)).order_by(cls.name, cls.id)
        terms = search_terms(query)
        if terms:
            statement = statement.where(and_(*(cls.search_text.contains(term, autoescape=True)
                                               for term in terms)))
        elif (query or "").strip():
            return []
        return db.session.scalars(statement.limit(limit)).all()

    def next_planning_colour(self):
        used = {child.planning_colour for child in self.children}
        free = [c for c in range(PLANNING_COLOURS) if c not in used]
        return free[0] if free else len(self.children) % PLANNING_COLOURS

    @property
    def postal_address(self):
        return f"{self.address_line}, {self.postal_code} {self.city}".strip(", ")

    @property
    def masked_iban(self):
        return mask_iban(self.iban)

    @property
    def has_mandate(self):
        """Invoices can be collected by direct debit: a signed mandate and an account."""
        return bool(self.mandate_reference and self.mandate_signed_on and self.iban)


def mask_iban(iban):
    """Every character but the last four hidden: 'FR14…2606' -> '•••• •••• •••• 2606'."""
    if not iban:
        return ""
    return "•••• •••• •••• " + iban[-4:]


class Guardian(db.Model):
    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    civility: Mapped[str] = mapped_column(String(4), default="")
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str] = mapped_column(String(254), default="")
    mobile_phone: Mapped[str] = mapped_column(String(30), default="")
    home_phone: Mapped[str] = mapped_column(String(30), default="")
    work_phone: Mapped[str] = mapped_column(String(30), default="")
    profession: Mapped[str] = mapped_column(String(120), default="")
    employer_phone: Mapped[str] = mapped_column(String(30), default="")

    family = relationship("Family", back_populates="guardians")
    user = relationship("User", back_populates="guardian", uselist=False)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}"


class Child(db.Model):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1), default="")
    school: Mapped[str] = mapped_column(String(120), default="")
    class_name: Mapped[str] = mapped_column(String(40), default="")
    planning_colour: Mapped[int] = mapped_column(Integer, default=0)
    # Random name of the photo in STORAGE_DIR/photos (never under static/).
    photo_name: Mapped[str | None] = mapped_column(String(64))

    family = relationship("Family", back_populates="children")
    authorizations = relationship("ChildAuthorization", back_populates="child",
                                  cascade="all, delete-orphan")
    health_record = relationship("HealthRecord", back_populates="child", uselist=False,
                                 cascade="all, delete-orphan")
    authorized_persons = relationship("AuthorizedPerson", back_populates="child",
                                      order_by="AuthorizedPerson.id",
                                      cascade="all, delete-orphan")

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}"

    @classmethod
    def namesakes(cls, first_name, last_name, birth_date, other_than_family):
        """Children of other families with this name and birth date: adding this child
        again is likely a duplicate file."""
        wanted = (fold_name(first_name), fold_name(last_name))
        found = db.session.scalars(select(cls).where(
            cls.birth_date == birth_date, cls.family_id != other_than_family)
            .options(selectinload(cls.family))).all()
        return [c for c in found if (fold_name(c.first_name), fold_name(c.last_name)) == wanted]


@event.listens_for(Session, "before_flush")
def _refresh_search_texts(session, _context, _instances):
    """Whoever changes a family, a guardian or a child (staff, a validated change
    request, registration, the demo), the family's search words follow in the same
    flush."""
    touched = [o for o in (*session.new, *session.dirty, *session.deleted)
               if isinstance(o, Family | Guardian | Child)]
    if not touched:
        return
    families = set()
    with session.no_autoflush:
        _families_of(session, touched, families)
        for family in families:
            family.refresh_search_text(leaving=set(session.deleted))


def _families_of(session, touched, families):
    for obj in touched:
        family = obj if isinstance(obj, Family) else (
            obj.family or (session.get(Family, obj.family_id) if obj.family_id else None))
        if family is not None and family not in session.deleted:
            families.add(family)


@cache
def _children_of():
    # In the order Family.children says, read from it; the table's own columns, so the
    # statement stays Core (the relationship's are marked as the ORM's).
    table = Child.__table__
    order = [table.c[column.key] for column in Family.children.property.order_by]
    return (select(table).where(table.c.family_id == bindparam("family_id"))
            .order_by(*order))
