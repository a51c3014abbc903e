"""Accounts (User) and the server-side record of each login (UserSession).

Flask keeps the session in a signed cookie; on its own such a cookie stays valid after
logout. Each login therefore gets a UserSession row whose random token is what the
cookie carries: logout revokes the row, a password change revokes the other rows, and
idle and absolute timeouts are checked against it on every request.
"""
import hashlib
import secrets
from datetime import datetime
from functools import cache

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String, bindparam, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.clock import utcnow
from models.db_tools import as_loaded
from models.family import Family, Guardian
from models.passwords import hash_password, needs_rehash, verify_password
from models.reference import note_stamp, stamp_column
from models.tokens import CONFIRM_ACCOUNT

ROLE_PARENT = "parent"
ROLE_STAFF = "staff"
ROLE_ADMIN = "admin"
# The régisseur: a staff member who also handles money (invoicing, payments, credit
# notes, SEPA files). Agents do not; admins do.
ROLE_BILLING = "billing"
ROLES = (ROLE_PARENT, ROLE_STAFF, ROLE_BILLING, ROLE_ADMIN)
CIVILITIES = ("M.", "Mme")


def normalize_email(email):
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: an address is unique whatever its case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=ROLE_PARENT)
    civility: Mapped[str | None] = mapped_column(String(4))
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    guardian_id: Mapped[int | None] = mapped_column(
        ForeignKey("guardians.id", ondelete="SET NULL"), unique=True
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    previous_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A staff account an admin switched off: it can no longer log in.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)

    guardian = relationship("Guardian", back_populates="user")
    sessions = relationship("UserSession", back_populates="user", cascade="all, delete-orphan")

    # The token of the session this object was loaded for (see get_id).
    session_token = None

    @classmethod
    def by_email(cls, email):
        return db.session.scalar(select(cls).where(cls.email == normalize_email(email)))

    @property
    def is_staff(self):
        return self.role in (ROLE_STAFF, ROLE_BILLING, ROLE_ADMIN)

    @property
    def handles_money(self):
        return self.role in (ROLE_BILLING, ROLE_ADMIN)

    @property
    def is_admin(self):
        return self.role == ROLE_ADMIN

    @property
    def is_active(self):
        return self.disabled_at is None

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None

    @property
    def family(self):
        return self.guardian.family if self.guardian else None

    @property
    def names_on_file(self):
        """(civility, first name, last name) as the family file spells them: a parent
        may have registered as "sophie bernard", the service typed "Sophie Bernard".
        A staff account, linked to no guardian, has its own."""
        person = self.guardian or self
        return person.civility or "", person.first_name, person.last_name

    @property
    def first_name_on_file(self):
        return self.names_on_file[1]

    @property
    def display_name(self):
        return " ".join(p for p in self.names_on_file if p)

    def is_abandoned_registration(self, now):
        """Never confirmed and its confirmation link has expired: the guardian is free again."""
        return self.confirmed_at is None and (now - self.created_at).total_seconds() > \
            CONFIRM_ACCOUNT[1]

    def get_id(self):
        # Flask-Login stores this in the cookie: the session token, never the user id.
        return self.session_token

    def set_password(self, password):
        self.password_hash = hash_password(password)
        self.password_changed_at = utcnow()

    def check_password(self, password):
        if not verify_password(self.password_hash, password):
            return False
        if needs_rehash(self.password_hash):
            self.password_hash = hash_password(password)
        return True

    def password_fingerprint(self):
        """Changes whenever the password changes: makes reset links single-use."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def record_login(self, now):
        self.previous_login_at = self.last_login_at
        self.last_login_at = now

    def revoke_sessions(self, keep=None):
        """End every session of this account but `keep` (password change, role change)."""
        query = update(UserSession).where(
            UserSession.user_id == self.id, UserSession.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(UserSession.id != keep.id)
        db.session.execute(query.values(revoked_at=utcnow()))


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a hash is stored: a database dump does not give live sessions.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user = relationship("User", back_populates="sessions")

    # Writing last_seen_at on every request would cost a write per click.
    TOUCH_EVERY_SECONDS = 60

    @classmethod
    def start(cls, user, remember=False, user_agent=""):
        """Open a session for user; returns the row and the token for the cookie."""
        config = current_app.config
        now = utcnow()
        lifetime = config["REMEMBER_COOKIE_DURATION"] if remember else config[
            "SESSION_ABSOLUTE_TIMEOUT"]
        token = secrets.token_urlsafe(32)
        row = cls(user=user, token_hash=_token_hash(token), remember=remember,
                  created_at=now, last_seen_at=now, expires_at=now + lifetime,
                  user_agent=(user_agent or "")[:200])
        db.session.add(row)
        return row, token

    @classmethod
    def find_active(cls, token):
        """The live session for a cookie token, with its user, or None."""
        if not token:
            return None
        found = db.session.execute(_active_session(), {"token_hash": _token_hash(token)}).first()
        if found is None:
            return None
        note_stamp(found[-1])
        row = _session_with_its_people(found)
        if not row.is_active(utcnow()):
            return None
        return row

    def idle_timeout(self):
        config = current_app.config
        return config["REMEMBERED_SESSION_IDLE_TIMEOUT"] if self.remember else config[
            "SESSION_IDLE_TIMEOUT"]

    def is_active(self, now):
        return (self.revoked_at is None and now < self.expires_at
                and now - self.last_seen_at < self.idle_timeout())

    def needs_touch(self, now):
        """Activity is recorded at most once a minute."""
        return (now - self.last_seen_at).total_seconds() >= self.TOUCH_EVERY_SECONDS

    def touch(self, now):
        # A remembered session coming back after more than the idle timeout of an
        # ordinary session is a new visit: it counts as a login (the home page tells what
        # changed since the previous one).
        if self.remember and now - self.last_seen_at >= current_app.config[
                "SESSION_IDLE_TIMEOUT"]:
            self.user.record_login(now)
        self.last_seen_at = now
        self.user.last_seen_at = now

    def revoke(self):
        self.revoked_at = utcnow()

    @classmethod
    def purge_expired(cls, before):
        """Delete rows that ended before `before` (the sweep keeps the table small)."""
        db.session.execute(
            db.delete(cls).where((cls.expires_at < before) | (cls.revoked_at < before))
        )


# Every request of a signed-in user sends it: built once, in Core (the ORM's joined
# loading of these four rows cost more than the rest of a small page). It loads the
# guardian and the family with the session (one query, not three) and the reference
# stamp, so the town and activities need none. Not the children: joined, their rows
# cost more than the query they save (bench/serial.py).
_SESSION_MODELS = (UserSession, User, Guardian, Family)


@cache
def _active_session():
    sessions, users, guardians, families = (model.__table__ for model in _SESSION_MODELS)
    return (select(sessions, users, guardians, families, stamp_column())
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id)
                         .outerjoin(guardians, guardians.c.id == users.c.guardian_id)
                         .outerjoin(families, families.c.id == guardians.c.family_id))
            .where(sessions.c.token_hash == bindparam("token_hash")))


def _session_with_its_people(found):
    """The UserSession of a row of _active_session, its user, guardian and family
    attached as joined loading would have left them (a staff account has no guardian)."""
    loaded, start = [], 0
    for model in _SESSION_MODELS:
        names = model.__table__.c.keys()
        values = dict(zip(names, found[start:start + len(names)], strict=True))
        loaded.append(as_loaded(model, values) if values["id"] is not None else None)
        start += len(names)
    row, user, guardian, family = loaded
    set_committed_value(row, "user", user)
    set_committed_value(user, "guardian", guardian)
    if guardian is not None:
        set_committed_value(guardian, "user", user)
        set_committed_value(guardian, "family", family)
    return row
