"""Two RQ workers on one SQLite file decide requests side by side: neither ever fails
with "database is locked" (each job takes the write lock before it reads)."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.requests import process_request
from models import OutboundEmail, Request, User
from models.planning import ACTION_FOR_STATE
from models.requests import ask_for_cell
from tests.helpers import activity, booking_state, child, today

REQUESTS = 50


def make_requests(parent_email, count=REQUESTS):
    """`count` one-cell requests of the family, saved as taps save them."""
    user = User.by_email(parent_email)
    canteen = activity("Restauration scolaire")
    ids = []
    for n in range(count):
        kid = child("Léa" if n % 2 else "Hugo")
        day = today() + timedelta(days=10 + n // 2)
        state = booking_state(kid.first_name, canteen.name, day) or "none"
        _booking, request = ask_for_cell(user.family, kid, canteen, day, user,
                                         ACTION_FOR_STATE[state], state)
        db.session.commit()
        ids.append(request.id)
    return ids


def two_workers(app, ids):
    """Each worker takes every request, one from the first, one from the last: they
    meet on every request in between. Returns the errors they met."""
    errors = []
    barrier = threading.Barrier(2)

    def worker(order):
        barrier.wait()
        for request_id in order:
            with app.app_context():
                try:
                    process_request(request_id)
                except Exception as error:  # noqa: BLE001 - counted by the test
                    errors.append(repr(error))
                    db.session.rollback()

    threads = [threading.Thread(target=worker, args=(order,))
               for order in (ids, list(reversed(ids)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.rollback()
    return errors


def test_two_workers_decide_50_requests_without_database_is_locked(app, planning):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's lock; PostgreSQL locks rows")
    ids = make_requests(planning.PARENT[0])
    errors = two_workers(app, ids)
    locked = [e for e in errors if "database is locked" in e]
    decided = db.session.scalar(select(func.count(Request.id)).where(
        Request.id.in_(ids), Request.status == "processed"))
    emails = db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind.in_(("request_receipt", "request_decision"))))
    print(f"expected {REQUESTS} decided, {2 * REQUESTS} emails; delivered {decided} "
          f"decided, {emails} emails; {len(locked)} 'database is locked'")
    assert locked == [] and errors == []
    assert decided == REQUESTS
    assert emails == 2 * REQUESTS  # each email stored once
