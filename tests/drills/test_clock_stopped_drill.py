"""Drill: no clock process. /healthz turns red while the sweep is late, and the web app
enqueues it at the next page view, so a request whose job was lost (Redis flushed) is
still decided, once, by a real worker."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import jobs.clock
from extensions import db
from jobs import HIGH_QUEUE_NAME, queue, redis_connection
from jobs.sweep import LAST_SWEEP_KEY
from models import OutboundEmail, Request
from tests.drills.conftest import report, wait_until
from tests.helpers import activity, booking_state, login, tap, upcoming_day

pytestmark = pytest.mark.drill


@pytest.fixture
def web_sweeps(app):
    app.config["SWEEP_FROM_WEB"] = True
    jobs.clock._next_check = 0.0
    yield
    app.config["SWEEP_FROM_WEB"] = False


def test_without_the_clock_the_sweep_still_runs(app, client, planning, workers, mailbox,
                                                web_sweeps):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    redis_connection(app).flushdb()  # the job is lost with Redis' data; no sweep ran yet
    request = db.session.scalar(select(Request))
    request.submitted_at -= timedelta(minutes=5)
    db.session.commit()
    health_before = client.get("/healthz").get_json()["sweep"]
    jobs.clock._next_check = 0.0
    client.get("/connexion")  # any page: the web app sees the sweep late
    sweep_queued = queue(app, HIGH_QUEUE_NAME).fetch_job("sweep") is not None
    workers.start()
    wait_until(lambda: db.session.rollback() or booking_state("Léa", "APS Soir", day)
               == "reserved", what="the lost request decided")
    wait_until(lambda: len(mailbox.to(planning.PARENT[0])) >= 2, what="emails")
    wait_until(lambda: redis_connection(app).get(LAST_SWEEP_KEY) is not None, what="sweep")
    db.session.rollback()
    report("clock process stopped",
           healthz_sweep_before=("late", health_before),
           sweep_enqueued_by_the_web=(True, sweep_queued),
           healthz_sweep_after=("ok", client.get("/healthz").get_json()["sweep"]),
           requests_decided=(1, db.session.scalar(select(func.count(Request.id)).where(
               Request.status == "processed"))),
           emails_stored=(2, db.session.scalar(select(func.count(OutboundEmail.id)))),
           emails_sent=(2, len(mailbox.to(planning.PARENT[0]))))
