"""Drill: the PostgreSQL server stops for 8 seconds, then starts again, while a parent
taps cells through gunicorn and a real rq worker decides them. The cluster is the
drill's own (initdb into a temporary folder), never the machine's service.

While the database is down the portal answers its static French 503 page (never a 500,
never gunicorn's bare English page); it recovers by itself once the server is back;
every tap it accepted is decided once (one booking row per cell, each email once)."""
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select, update

from extensions import db
from jobs import queues
from jobs.sweep import sweep
from models import Booking, Enrollment, OutboundEmail, Request
from tests.drills.conftest import WebServer, report, wait_until
from tests.helpers import HTMX, activity, child, shown, today, upcoming_day

pytestmark = pytest.mark.drill
BEFORE, DURING = 4, 2  # taps before the outage; taps refused during it, made again after
DOWN_SECONDS = 8
FRENCH_503 = "Le portail est momentanément indisponible"


@pytest.fixture
def pg_app(private_postgresql, limiter_kept):
    """A second app on the drill's cluster, with the demo town enrolled for this school
    year and the next (as the `planning` fixture does)."""
    import demo as demo_data
    from app import create_app
    from models.db_tools import rebuild_schema

    second = create_app({"SQLALCHEMY_DATABASE_URI": private_postgresql.url})
    with second.app_context():
        rebuild_schema(("drill",))
        demo_data.load()
        enrollments = db.session.scalars(select(Enrollment)).all()
        existing = {(e.child_id, e.activity_id, e.school_year) for e in enrollments}
        for enrollment in enrollments:
            key = (enrollment.child_id, enrollment.activity_id, enrollment.school_year + 1)
            if key not in existing:
                db.session.add(Enrollment(child_id=key[0], activity_id=key[1],
                                          school_year=key[2]))
        db.session.commit()
        yield second
        db.session.remove()


def _days(an_activity, who, count):
    """`count` days the activity runs for the child, from 10 days ahead (the calendar
    says which: any day of the year, the summer break included)."""
    days, ahead = [], 10
    while len(days) < count:
        day = upcoming_day(an_activity, days_ahead=ahead, a_child=who)
        days.append(day)
        ahead = (day - today()).days + 1
    return days


def _csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


class Parent:
    """A browser: a requests session against gunicorn."""

    def __init__(self, base, email, password):
        self.base, self.http = base, requests.Session()
        token = _csrf(self.http.get(f"{base}/connexion", timeout=30).text)
        answer = self.http.post(f"{base}/connexion", allow_redirects=False, timeout=30,
                                data={"email": email, "password": password, "csrf_token": token})
        assert answer.status_code == 302, (answer.status_code, answer.text[-2000:])
        self.token = _csrf(self.http.get(f"{base}/activites", timeout=30).text)

    def tap(self, cell):
        child_id, activity_id, day = cell
        return self.http.post(f"{self.base}/activites/case", timeout=30,
                              headers=dict(HTMX, **{"X-CSRFToken": self.token}),
                              data=dict(shown("none"), enfant=child_id, activite=activity_id,
                                        jour=day.isoformat()))

    def week(self):
        return self.http.get(f"{self.base}/activites", timeout=30)


def _retry_now():
    """Jobs that failed during the outage wait for their retry (30 s for an email): the
    drill brings the retries forward instead of waiting. Returns how many."""
    moved = 0
    for jobs in queues():
        registry = ScheduledJobRegistry(queue=jobs)
        for job_id in registry.get_job_ids():
            job = jobs.fetch_job(job_id)
            if job is not None:
                registry.schedule(job, datetime.now(UTC))
                moved += 1
    return moved


def _french_503(answer):
    return (answer.status_code == 503 and FRENCH_503 in answer.text
            and "Internal Server Error" not in answer.text)


def test_postgresql_stopped_8_seconds_while_a_parent_taps(pg_app, private_postgresql,
                                                         workers, mailbox, tmp_path):
    from demo import PARENT

    aps = activity("APS Soir")
    lea = child("Léa")
    cells = [(lea.id, aps.id, day) for day in _days(aps, lea, BEFORE + DURING)]
    db.session.commit()
    env = {"DATABASE_URL": private_postgresql.url}
    server = WebServer(str(tmp_path), env, workers=1)
    try:
        parent = Parent(server.base, *PARENT)
        workers.start(env=env)
        before = [parent.tap(cell).status_code for cell in cells[:BEFORE - 1]]
        wait_until(lambda: db.session.rollback() or db.session.scalar(
            select(func.count(Request.id)).where(Request.status == "processed")) == BEFORE - 1,
            what="the first taps decided")
        before.append(parent.tap(cells[BEFORE - 1]).status_code)
        db.session.rollback()  # the drill's own connection goes back to the pool
        private_postgresql.stop()  # the last tap's decision is under way or waiting
        down_at = time.monotonic()
        during = [parent.tap(cell) for cell in cells[BEFORE:]] + [parent.week()]
        time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_at)))
        private_postgresql.start()

        back_at, attempts = time.monotonic(), 0
        while True:  # the first request after the restart may still meet a dead connection
            attempts += 1
            if parent.week().status_code == 200:
                break
            assert time.monotonic() - back_at < 20, "the portal did not recover"
            time.sleep(0.2)
        recovered_in = time.monotonic() - back_at
        after = [parent.tap(cell).status_code for cell in cells[BEFORE:]]

        # What the outage interrupted (a decision, an email) is the sweep's to enqueue
        # again: the drill ages it past the sweep's grace period instead of waiting.
        old = timedelta(minutes=5)
        db.session.execute(update(Request).values(submitted_at=Request.submitted_at - old))
        db.session.execute(update(OutboundEmail).where(OutboundEmail.sent_at.is_(None))
                           .values(created_at=OutboundEmail.created_at - old))
        db.session.commit()
        swept = sweep()
        retries = _retry_now()
        taps = len(cells)
        wait_until(lambda: db.session.rollback() or db.session.scalar(
            select(func.count(Request.id)).where(Request.status == "processed")) == taps,
            timeout=30, what="every request decided")
        wait_until(lambda: len(mailbox.to(PARENT[0])) >= 2 * taps, timeout=30, what="emails")
        time.sleep(1)  # a duplicate, if any, would arrive now
        db.session.rollback()
        rows_per_cell = [db.session.scalar(select(func.count(Booking.id)).where(
            Booking.child_id == c, Booking.activity_id == a, Booking.day == d))
            for c, a, d in cells]
        subjects = [m["Subject"] for m in mailbox.to(PARENT[0])]
        print(f"   recovered {recovered_in:.1f} s after the start, {attempts} request(s); "
              f"sweep re-enqueued {swept.get('requeue_lost_requests')} request(s), "
              f"{swept.get('resend_unsent_emails')} email(s); {retries} retry(ies) brought "
              "forward")
        report("PostgreSQL stopped 8 s while a parent taps",
               taps_before=([200] * BEFORE, before),
               french_503_while_down=([True] * (DURING + 1), [_french_503(a) for a in during]),
               taps_after=([200] * DURING, after),
               rows_per_cell=([1] * taps, rows_per_cell),
               cells_reserved=(taps, sum(db.session.scalar(select(Booking.state).where(
                   Booking.child_id == c, Booking.activity_id == a, Booking.day == d))
                   == "reserved" for c, a, d in cells)),
               requests_stored=(taps, db.session.scalar(select(func.count(Request.id)))),
               requests_decided=(taps, db.session.scalar(select(func.count(Request.id)).where(
                   Request.status == "processed"))),
               emails_stored=(2 * taps, db.session.scalar(select(func.count(OutboundEmail.id)))),
               email_rows_sent=(2 * taps, db.session.scalar(select(func.count(
                   OutboundEmail.id)).where(OutboundEmail.sent_at.is_not(None)))),
               emails_received=(2 * taps, len(subjects)))
    except BaseException:
        print(server.logs())
        raise
    finally:
        server.stop()
