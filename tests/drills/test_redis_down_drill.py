"""Drill: Redis stops while a parent taps 5 cells and someone logs in. Every tap is
kept (pending), the login works, and once Redis is back the sweep and a real worker
decide each request once and send each email once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.sweep import sweep
from models import OutboundEmail, Request
from tests.drills.conftest import report, wait_until
from tests.helpers import activity, booking_state, login, tap, today, upcoming_day

pytestmark = pytest.mark.drill
TAPS = 5


def _days(an_activity, count):
    days, ahead = [], 10
    while len(days) < count:
        day = upcoming_day(an_activity, days_ahead=ahead)
        if day not in days:
            days.append(day)
        ahead = (day - today()).days + 1  # the next one after it, counted from today
    return days


def test_redis_stopped_during_five_taps_and_a_login(redis_app, private_redis, planning,
                                                    workers, mailbox):
    aps = activity("APS Soir")
    days = _days(aps, TAPS)
    parent = redis_app.test_client()
    assert login(parent, *planning.PARENT).status_code == 302
    private_redis.stop()
    answers = [tap(parent, "Léa", "APS Soir", day).status_code for day in days]
    other = redis_app.test_client()
    logged_in = login(other, *planning.AGENT).status_code
    pending = [booking_state("Léa", "APS Soir", day) for day in days]

    private_redis.start()
    for request in db.session.scalars(select(Request)):
        request.submitted_at -= timedelta(minutes=5)  # past the sweep's grace period
    db.session.commit()
    with redis_app.app_context():
        swept = sweep()["requeue_lost_requests"]
    workers.start(private_redis.url)
    wait_until(lambda: db.session.rollback() or db.session.scalar(
        select(func.count(Request.id)).where(Request.status == "processed")) == TAPS,
        what="every request decided")
    wait_until(lambda: len(mailbox.to(planning.PARENT[0])) >= 2 * TAPS, what="emails")
    db.session.rollback()
    report("Redis stopped during 5 taps and a login",
           taps_answered=([200] * TAPS, answers),
           login_with_redis_down=(302, logged_in),
           cells_pending_while_down=(TAPS, sum(s.startswith("pending") for s in pending)),
           requests_swept=(TAPS, swept),
           cells_reserved=(TAPS, sum(booking_state("Léa", "APS Soir", d) == "reserved"
                                    for d in days)),
           emails_sent=(2 * TAPS, len(mailbox.to(planning.PARENT[0]))),
           emails_stored=(2 * TAPS, db.session.scalar(select(func.count(OutboundEmail.id)))))
