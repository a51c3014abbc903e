"""Emails go through the outbox and a real RQ worker to the real SMTP server of the
tests; SMTP or Redis being down delays a message, never loses or doubles it."""
import os
from datetime import timedelta

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from extensions import db
from jobs import FAILED_JOBS_KEPT_SECONDS, enqueue_after_commit, queue, redis_connection
from jobs.emails import queue_email, send_email
from jobs.sweep import sweep
from models import OutboundEmail
from models.clock import utcnow
from tests.test_registration import SOPHIE, register


def _queue_one(to="someone@example.net"):
    email = queue_email(to, "email_in_use", "Sujet de test", login_url="http://localhost/")
    db.session.commit()
    return email


def _closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_down(app):
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    yield
    app.config["MAIL_PORT"] = saved


def test_an_email_is_sent_once_even_if_its_job_runs_twice(app, run_jobs, mailbox):
    email = _queue_one()
    run_jobs()
    mailbox.wait_for("someone@example.net", "Sujet de test")
    assert send_email(email.id) == "skipped"
    job = Job.create(send_email, args=(email.id,), connection=redis_connection(app),
                     serializer=JSONSerializer)
    queue(app).enqueue_job(job)
    run_jobs()
    assert len(mailbox.to("someone@example.net")) == 1
    sent = db.session.get(OutboundEmail, email.id)
    assert sent.sent_at is not None and sent.attempts == 1


def test_same_dedupe_key_stores_one_email(app):
    first = queue_email("a@example.net", "email_in_use", "X", dedupe_key="k-1", login_url="/")
    second = queue_email("a@example.net", "email_in_use", "X", dedupe_key="k-1", login_url="/")
    db.session.commit()
    assert first is not None and second is None
    assert db.session.scalar(db.select(db.func.count(OutboundEmail.id))) == 1


def test_smtp_down_keeps_the_email_and_retries_it(app, run_jobs, mailbox, smtp_down):
    email = _queue_one()
    run_jobs()
    kept = db.session.get(OutboundEmail, email.id)
    assert kept.sent_at is None and kept.claimed_at is None and kept.attempts == 1
    assert kept.last_error
    job = queue(app).fetch_job(f"email-{email.id}")
    assert job.get_status() == JobStatus.SCHEDULED  # RQ retries it later
    assert job.failure_ttl == FAILED_JOBS_KEPT_SECONDS


def test_the_sweep_sends_what_rq_gave_up_on(app, run_jobs, mailbox, smtp_down):
    email = _queue_one()
    run_jobs()
    queue(app).fetch_job(f"email-{email.id}").delete()  # retries exhausted or lost
    app.config["MAIL_PORT"] = int(os.environ["MAIL_PORT"])
    row = db.session.get(OutboundEmail, email.id)
    row.created_at -= timedelta(minutes=5)
    db.session.commit()
    assert sweep()["resend_unsent_emails"] == 1
    run_jobs()
    mailbox.wait_for("someone@example.net", "Sujet de test")
    assert db.session.get(OutboundEmail, email.id).sent_at is not None


def test_a_claimed_email_is_left_to_its_worker_until_the_claim_expires(app, run_jobs, mailbox):
    email = _queue_one()
    db.session.get(OutboundEmail, email.id).claimed_at = utcnow()
    db.session.commit()
    assert send_email(email.id) == "skipped"
    db.session.get(OutboundEmail, email.id).claimed_at = utcnow() - timedelta(minutes=6)
    db.session.commit()
    assert send_email(email.id) == "sent"
    assert len(mailbox.to("someone@example.net")) == 1


def test_registration_works_while_redis_is_down(app, client, demo, run_jobs, mailbox):
    working = app.extensions["redis"]
    app.extensions["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        response = register(client, demo.UNUSED_CODE)
    finally:
        app.extensions["redis"] = working
    assert response.status_code == 302
    email = db.session.scalar(db.select(OutboundEmail).where(
        OutboundEmail.to_address == SOPHIE["email"].lower()))
    assert email is not None and email.sent_at is None
    assert queue(app).fetch_job(f"email-{email.id}") is None
    email.created_at -= timedelta(minutes=1)
    db.session.commit()
    sweep()
    run_jobs()
    mailbox.wait_for(SOPHIE["email"].lower(), "Confirmez")


def test_a_rolled_back_transaction_enqueues_nothing(app):
    enqueue_after_commit(send_email, 12345, job_id="email-12345")
    db.session.rollback()
    db.session.commit()
    assert queue(app).fetch_job("email-12345") is None


def test_an_email_sent_while_the_database_goes_away_is_recorded_once_it_is_back(app, mailbox):
    """The SMTP server took the email, then the database did not answer when its row was
    to say so (a restart): the job waits for the database rather than leaving the row
    claimed and unsent, which would send a second copy once the claim expired."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    email = _queue_one()
    refused = []

    def database_away(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE outbound_emails SET sent_at") and len(refused) < 2:
            refused.append(statement)
            raise OperationalError(statement, {}, Exception("server closed the connection"))

    event.listen(db.engine, "before_cursor_execute", database_away)
    try:
        assert send_email(email.id) == "sent"
    finally:
        event.remove(db.engine, "before_cursor_execute", database_away)
    assert len(refused) == 2
    mailbox.wait_for("someone@example.net", "Sujet de test")
    db.session.rollback()
    recorded = db.session.get(OutboundEmail, email.id)
    assert recorded.sent_at is not None and recorded.attempts == 1
    assert send_email(email.id) == "skipped"
    assert len(mailbox.to("someone@example.net")) == 1
