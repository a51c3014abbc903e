"""Pages that write while they are read (the audit log of what they showed) never fail
on SQLite's lock: their write takes the lock at the start of its own transaction
(BEGIN IMMEDIATE waits for the other writer, busy_timeout), instead of upgrading the
page's read transaction, which fails at once when another connection wrote meanwhile."""
import sqlite3
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Booking, User, UserSession
from models.clock import utcnow
from models.tokens import CONFIRM_ACCOUNT, make_token
from tests.family_helpers import child
from tests.helpers import activity, at_once, body, login, upcoming_day

CANTEEN = "Restauration scolaire"
HOLD_SECONDS = 1.0


@pytest.fixture
def sqlite_path(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        pytest.skip("SQLite's locking; PostgreSQL locks rows")
    return uri.removeprefix("sqlite:///")


def another_writer(path):
    """A worker's transaction: holds SQLite's write lock for a while, then commits."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO audit_events (at, action, target_type, details) "
                           "VALUES (CURRENT_TIMESTAMP, 'worker.wrote', '', '{}')")
        time.sleep(HOLD_SECONDS)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return "committed"


def while_another_writes(path, request):
    """Request the page once the other writer holds the lock (the page reads, then
    writes while the lock is still held)."""
    def later():
        time.sleep(HOLD_SECONDS / 4)
        return request()
    return at_once(lambda: another_writer(path), later)


def viewed(action="health.viewed"):
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == action))


def test_roll_call_waits_for_a_worker_writing(client, planning, sqlite_path):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, days_ahead=0)
    for name in ("Léa", "Hugo"):
        if db.session.scalar(select(Booking.id).where(
                Booking.child_id == child("MARTIN", name).id, Booking.day == day,
                Booking.activity_id == canteen.id)) is None:
            db.session.add(Booking(child_id=child("MARTIN", name).id, activity_id=canteen.id,
                                   day=day, state="reserved"))
    db.session.commit()
    login(client, *planning.AGENT)
    url = f"/admin/pointage?jour={day.isoformat()}&activite={canteen.id}"
    writer, response = while_another_writes(
        sqlite_path, lambda: client.get(url))
    assert writer == "committed"
    assert not isinstance(response, Exception), response
    assert response.status_code == 200
    assert viewed() == 1  # Léa and Hugo's health data were shown, and logged (once)


def test_a_staff_look_at_health_data_waits_too(client, demo, sqlite_path):
    login(client, *demo.AGENT)
    hugo = child("MARTIN", "Hugo")
    writer, response = while_another_writes(
        sqlite_path, lambda: client.get(f"/admin/enfants/{hugo.id}/sante"))
    assert writer == "committed" and not isinstance(response, Exception), response
    assert response.status_code == 200 and viewed() == 1


def test_the_download_of_a_familys_file_waits_too(client, demo, sqlite_path):
    login(client, *demo.PARENT)
    writer, response = while_another_writes(
        sqlite_path, lambda: client.get("/ma-famille/mes-donnees.json"))
    assert writer == "committed" and not isinstance(response, Exception), response
    assert response.status_code == 200 and viewed("file.exported") == 1


def test_an_account_confirmation_link_waits_too(client, demo, sqlite_path):
    user = User(email="nouveau@example.net", first_name="Paul", last_name="Neuf",
                created_at=utcnow())
    user.set_password("une phrase assez longue")
    db.session.add(user)
    db.session.commit()
    link = f"/inscription/confirmer/{make_token(CONFIRM_ACCOUNT, [user.id, user.email])}"
    writer, response = while_another_writes(sqlite_path, lambda: client.get(link))
    assert writer == "committed" and not isinstance(response, Exception), response
    assert response.status_code == 200 and "Votre compte est activé" in body(response)
    assert db.session.scalar(select(User.confirmed_at).where(User.id == user.id))


def test_the_home_page_records_the_visit_while_a_worker_writes(client, demo, sqlite_path):
    """The session's "last seen" is written by a GET too (security.load_user): it
    already took the lock first; this keeps it so."""
    login(client, *demo.PARENT)
    row = db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None)))
    row.last_seen_at -= timedelta(minutes=5)  # due for a touch
    db.session.commit()
    writer, response = while_another_writes(sqlite_path, lambda: client.get("/"))
    assert writer == "committed" and not isinstance(response, Exception), response
    assert response.status_code == 200
    assert db.session.scalar(select(UserSession.last_seen_at).where(
        UserSession.id == row.id)) > utcnow() - timedelta(minutes=1)
