"""Drill: two real `rq worker` processes on one SQLite file decide 50 requests side by
side, without a single "database is locked", each email stored and sent once."""
import pytest
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from extensions import db
from jobs import HIGH_QUEUE_NAME, queue
from jobs.requests import job_id, process_request
from models import OutboundEmail, Request
from tests.drills.conftest import report, wait_until
from tests.test_two_workers import REQUESTS, make_requests

pytestmark = pytest.mark.drill


def test_two_workers_on_sqlite_decide_50_requests(app, planning, workers, mailbox):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's lock; PostgreSQL locks rows")
    ids = make_requests(planning.PARENT[0])
    jobs = queue(app, HIGH_QUEUE_NAME)  # where decisions go
    for request_id in ids:
        jobs.enqueue(process_request, request_id, job_id=job_id(request_id))
    # Jobs run in the worker processes themselves (no fork per job): 150 jobs in time.
    first, second = (workers.start(burst=True, worker_class="SimpleWorker")
                     for _ in range(2))
    wait_until(lambda: first.poll() is not None and second.poll() is not None, timeout=50,
               what="both workers done")
    failed = FailedJobRegistry(queue=jobs)
    errors = [jobs.fetch_job(i).latest_result().exc_string or "" for i in failed.get_job_ids()]
    locked = sum("database is locked" in e for e in errors) + workers.logs().count(
        "database is locked")
    wait_until(lambda: len(mailbox.to(planning.PARENT[0])) >= 2 * REQUESTS, what="emails")
    db.session.rollback()
    report("two workers on SQLite, 50 requests",
           database_is_locked=(0, locked),
           failed_jobs=(0, len(errors)),
           requests_decided=(REQUESTS, db.session.scalar(select(func.count(Request.id)).where(
               Request.status == "processed"))),
           emails_stored=(2 * REQUESTS, db.session.scalar(select(func.count(OutboundEmail.id)))),
           emails_sent=(2 * REQUESTS, len(mailbox.to(planning.PARENT[0]))))
