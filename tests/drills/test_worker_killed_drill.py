"""Drill: the worker is killed with kill -9 (its work horse too) while it decides a
long-period request. The sweep gives the request to a new worker, which decides every
line once; the family gets each of its two emails once."""
import sqlite3
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from rq.job import JobStatus
from sqlalchemy import func, select

import jobs as jobs_module
from extensions import db
from jobs import HIGH_QUEUE_NAME, queue
from jobs.sweep import sweep
from models import Booking, OutboundEmail, Request, RequestLine
from tests.drills.conftest import report, wait_until
from tests.helpers import login
from tests.test_long_period import form_data

pytestmark = pytest.mark.drill


@contextmanager
def held_lock(app, request_id):
    """Another transaction holds what the job needs (SQLite's write lock, or the
    request's row on PostgreSQL): the job stops mid-way, as a slow one would."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        connection = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
    else:
        with db.engine.connect() as connection:
            connection.execute(select(Request.id).where(Request.id == request_id)
                               .with_for_update())
            yield
            connection.rollback()


def test_worker_killed_mid_long_period_request(app, client, planning, workers, mailbox,
                                               monkeypatch):
    login(client, *planning.PARENT)
    assert client.post("/activites/longue-periode", data=form_data(client)).status_code == 302
    request = db.session.scalar(select(Request))
    request_id, lines = request.id, len(request.lines)
    db.session.commit()
    job = queue(app, HIGH_QUEUE_NAME).fetch_job(f"request-{request_id}")
    with held_lock(app, request_id):
        worker = workers.start()
        wait_until(lambda: job.get_status(refresh=True) == JobStatus.STARTED,
                   what="the job started")
        time.sleep(0.5)
        workers.kill_9(worker)
    status_after_kill = db.session.scalar(select(Request.status).where(Request.id == request_id))
    db.session.rollback()
    # A dead worker stops beating; the drill waits 2 s instead of 2 minutes.
    monkeypatch.setattr(jobs_module, "DEAD_AFTER", timedelta(seconds=1))
    time.sleep(2)
    row = db.session.get(Request, request_id)
    row.submitted_at -= timedelta(minutes=5)
    db.session.commit()
    swept = sweep()["requeue_lost_requests"]
    workers.start()
    wait_until(lambda: db.session.rollback() or db.session.scalar(
        select(Request.status).where(Request.id == request_id)) == "processed",
        what="the request decided")
    wait_until(lambda: len(mailbox.to(planning.PARENT[0])) >= 2, what="emails")
    time.sleep(1)  # a duplicate, if any, would arrive now
    db.session.rollback()
    report("worker kill -9 mid long-period request",
           request_after_kill=("received", status_after_kill),
           requests_swept=(1, swept),
           lines_decided=(lines, db.session.scalar(select(func.count(RequestLine.id)).where(
               RequestLine.request_id == request_id, RequestLine.outcome.is_not(None)))),
           cells_still_pending=(0, db.session.scalar(select(func.count(Booking.id)).where(
               Booking.state.like("pending%")))),
           emails_stored=(2, db.session.scalar(select(func.count(OutboundEmail.id)))),
           emails_sent=(2, len(mailbox.to(planning.PARENT[0]))))
