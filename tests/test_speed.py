"""Speed that scales (issue 18): a tap's decision is not queued behind bulk work, a tap
waiting for SQLite's lock is not stamped late, and a tap or the week page sends the
same number of SQL statements whatever the size of the family."""
import re
import sqlite3
import threading
import time
from datetime import date

from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import event, select

from extensions import db
from jobs import HIGH_QUEUE_NAME, QUEUE_NAME, queue, queues, redis_connection
from jobs.emails import queue_email
from models import Booking, Child, Enrollment, InvoicingRun, OutboundEmail, Request
from models.calendar import school_year_of
from models.clock import utcnow
from tests.billing_helpers import MONTH, book, days_of
from tests.helpers import (
    HTMX,
    activity,
    at_once,
    child,
    csrf_from,
    login,
    page,
    shown,
    submit,
    tap,
    upcoming_day,
)

CANTEEN = "Restauration scolaire"
BULK_EMAILS = 25


def work(app, jobs):
    """A worker listening as production's do (high priority first) that takes `jobs`."""
    worker = SimpleWorker(queues(app), connection=redis_connection(app),
                          serializer=JSONSerializer)
    worker.work(burst=True, max_jobs=jobs)


def test_an_invoicing_run_does_not_delay_a_decision(app, client, other_client, planning,
                                                    mailbox):
    # The régisseur starts invoicing March; the month's emails pile up in the bulk queue.
    book("Jules", CANTEEN, days_of(CANTEEN, 1)[0])
    login(other_client, *planning.REGISSEUR)
    submit(other_client, "/admin/facturation", {"month": MONTH.strftime("%Y-%m")})
    for number in range(BULK_EMAILS):
        queue_email(f"famille{number}@example.net", "email_in_use", "Facture",
                    login_url="http://localhost/")
    db.session.commit()
    assert queue(app, QUEUE_NAME).count == BULK_EMAILS + 1
    # Then a parent taps a cell.
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    # Three jobs later the tap is decided and both its emails are out (the receipt and
    # the decision), while the invoicing run and its emails still wait.
    work(app, jobs=3)
    db.session.expire_all()
    assert db.session.scalar(select(Request.status)) == "processed"
    mailbox.wait_for(planning.PARENT[0], "Demande traitée")
    assert db.session.scalar(select(InvoicingRun.status)) != "done"
    unsent = db.session.scalars(select(OutboundEmail).where(
        OutboundEmail.sent_at.is_(None))).all()
    assert len(unsent) == BULK_EMAILS
    assert queue(app, HIGH_QUEUE_NAME).count == 0
    work(app, jobs=None)  # the bulk work follows
    db.session.expire_all()
    assert db.session.scalar(select(InvoicingRun.status)) == "done"


def test_a_tap_waiting_for_the_lock_keeps_the_time_it_arrived(app, client, planning):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    if not uri.startswith("sqlite:///"):
        tap(client, "Léa", "APS Soir", day)
        return  # PostgreSQL locks the cell's row only: nothing to wait for here
    held, released_at = threading.Event(), []

    def another_writer():
        connection = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(1.0)
        released_at.append(utcnow())
        connection.execute("COMMIT")
        connection.close()

    token = csrf_from(page(client, "/activites"))
    data = dict(shown(), enfant=child("Léa").id, activite=activity("APS Soir").id,
                jour=day.isoformat())

    def tap_meanwhile():
        held.wait()
        arrived = utcnow()
        response = client.post("/activites/case", data=data,
                               headers=dict(HTMX, **{"X-CSRFToken": token}))
        return arrived, response

    _, (arrived, response) = at_once(another_writer, tap_meanwhile)
    assert response.status_code == 200
    submitted_at = db.session.scalar(select(Request.submitted_at))
    # Stamped when it came in, before the other writer let go of the lock.
    assert arrived <= submitted_at < released_at[0]


def _enroll_more_children(family, count):
    activities = [activity(CANTEEN), activity("APS Soir")]
    for index in range(count):
        child = Child(first_name=f"Enfant{index}", last_name="MARTIN",
                      birth_date=date(2018, 1, 1), family_id=family.id)
        db.session.add(child)
        db.session.flush()
        for an_activity in activities:
            for year in {school_year_of(d) for d in days_of(CANTEEN, 1)} | {
                    school_year_of(upcoming_day(an_activity))}:
                db.session.add(Enrollment(child_id=child.id, activity_id=an_activity.id,
                                          school_year=year))
    db.session.commit()


def _statements(call):
    sent = []

    def count(*_args):
        sent.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(sent)


def _tap_and_week_statements(client, day, who):
    canteen = activity(CANTEEN)
    taps = _statements(lambda: tap(client, who, CANTEEN, day, state="none"))
    week = _statements(lambda: client.get(f"/activites?vue=semaine&date={day.isoformat()}"))
    assert canteen is not None
    return taps, week


def test_a_tap_and_the_week_cost_the_same_statements_for_a_bigger_family(client, planning):
    login(client, *planning.PARENT)
    canteen = activity(CANTEEN)
    first, second = upcoming_day(canteen, 10), upcoming_day(canteen, 40)
    client.get("/activites")  # the session's touch is behind us
    small = _tap_and_week_statements(client, first, "Léa")
    family = db.session.scalar(select(Child).where(Child.first_name == "Léa")).family
    _enroll_more_children(family, 4)
    large = _tap_and_week_statements(client, second, "Léa")
    assert small == large


def test_a_decision_job_survives_a_write_committed_while_it_reads(app, client, planning,
                                                                  run_jobs, mailbox):
    """Under a rush, emails are stored by other workers while a decision job reads its
    request: on SQLite the job must not fail with "database is locked"."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    request_id = db.session.scalar(select(Request.id))
    db.session.commit()
    wrote = []

    def another_worker_writes(_conn, _cursor, statement, *_args):
        if uri.startswith("sqlite:///") and not wrote and "FROM requests" in statement:
            # Another worker tries to write now; if the job holds the lock, it cannot
            # (and would wait its turn), which is the point.
            other = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None,
                                    timeout=0)
            try:
                other.execute("INSERT INTO audit_events (at, action, target_type, details) "
                              "VALUES (CURRENT_TIMESTAMP, 'worker.wrote', '', '{}')")
            except sqlite3.OperationalError:
                pass
            finally:
                other.close()
            wrote.append(True)

    from jobs.requests import process_request

    event.listen(db.engine, "after_cursor_execute", another_worker_writes)
    try:
        assert process_request(request_id) == "processed"
    finally:
        event.remove(db.engine, "after_cursor_execute", another_worker_writes)
    db.session.expire_all()
    assert db.session.scalar(select(Request.status)) == "processed"


def test_a_taps_answer_is_the_cell_as_read_again(client, planning):
    # The tap's answer and the pending cell's poll show the same cell, to the byte.
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    answer = tap(client, "Léa", "APS Soir", day)
    assert answer.status_code == 200
    poll = client.get(f"/activites/case?enfant={child('Léa').id}&activite="
                      f"{activity('APS Soir').id}&jour={day.isoformat()}", headers=HTMX)
    assert poll.status_code == 200
    assert "Réservation en attente" in answer.text
    assert _same_second(answer.text) == _same_second(poll.text)


def _same_second(html):
    """The cell without its CSRF token, which is signed with the second it was made in."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def _answer_and_poll(client, who, what, day):
    answer = tap(client, who, what, day)
    poll = client.get(f"/activites/case?enfant={child(who).id}&activite="
                      f"{activity(what).id}&jour={day.isoformat()}", headers=HTMX)
    assert answer.status_code == poll.status_code == 200
    return _same_second(answer.text), _same_second(poll.text)


def test_a_taps_answer_is_the_cell_as_read_again_with_places_and_late_rules(client,
                                                                             planning):
    # The answer is built from what the tap wrote (models/grid.cell_after_tap): places
    # left, the late policy and an absence on a reserved day change nothing in it.
    aps = activity("APS Soir")
    aps.capacity, aps.late_reserve_policy = 3, "surcharge"
    db.session.commit()
    login(client, *planning.PARENT)
    day, other = upcoming_day(aps), upcoming_day(activity(CANTEEN), 10)
    answer, poll = _answer_and_poll(client, "Léa", "APS Soir", day)
    assert "Réservation en attente" in answer and answer == poll
    reserved = db.session.scalar(select(Booking).where(
        Booking.child_id == child("Léa").id, Booking.activity_id == activity(CANTEEN).id,
        Booking.day == other))
    if reserved is None:
        book("Léa", CANTEEN, other)
    else:
        reserved.state = "reserved"
        db.session.commit()
    answer, poll = _answer_and_poll(client, "Léa", CANTEEN, other)
    assert "Annuler ma demande" in answer and answer == poll


FIRST_REQUEST_OF_A_PROCESS = """
import sys
from app import create_app

app = create_app()
client = app.test_client()
client.set_cookie(sys.argv[1], sys.argv[2])
response = client.get("/activites")
print(response.status_code, "Léa" in response.get_data(as_text=True))
"""


def test_a_fresh_process_answers_a_signed_in_parent_first(app, client, planning):
    """The session's load is the first thing a new web process reads, in Core: the
    models' mappers must be ready before any ORM query has set them up."""
    import subprocess
    import sys

    login(client, *planning.PARENT)
    db.session.commit()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name).value
    finished = subprocess.run([sys.executable, "-c", FIRST_REQUEST_OF_A_PROCESS, name, cookie],
                              capture_output=True, text=True, timeout=120,
                              cwd=app.root_path)
    assert finished.stdout.split()[-2:] == ["200", "True"], finished.stderr[-2000:]
