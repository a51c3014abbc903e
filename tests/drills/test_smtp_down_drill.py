"""Drill: the SMTP server is down while emails are queued (a few seconds here, for the
2 minutes of a real outage), then back. A real worker retries: every email arrives,
once, and no row is left claimed or unsent."""
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from extensions import db
from jobs.emails import queue_email
from models import OutboundEmail
from tests.conftest import Mailbox, _free_port
from tests.drills.conftest import report, wait_until

pytestmark = pytest.mark.drill
EMAILS = 5
DOWN_SECONDS = 4


def test_smtp_down_then_back_each_email_once(app, demo, workers, monkeypatch):
    mailbox, port = Mailbox(), _free_port()
    monkeypatch.setenv("MAIL_PORT", str(port))  # the worker's SMTP server: ours, down
    for n in range(EMAILS):
        queue_email(f"famille{n}@example.net", "email_in_use", f"Message {n}",
                    login_url="http://localhost/")
    db.session.commit()
    workers.start()
    wait_until(lambda: db.session.rollback() or db.session.scalar(select(func.count(
        OutboundEmail.id)).where(OutboundEmail.last_error != "")) == EMAILS,
        what="every first attempt failed")
    errors = db.session.scalars(select(OutboundEmail.last_error)).all()
    time.sleep(DOWN_SECONDS)
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        wait_until(lambda: len(mailbox.messages) >= EMAILS, timeout=50, what="emails back")
        time.sleep(1)  # a duplicate, if any, would arrive now
    finally:
        server.stop()
    db.session.rollback()
    received = sorted(m["To"] for m in mailbox.messages)
    report("SMTP down, then back",
           first_attempts_failed=(EMAILS, sum("Connection refused" in e or "Errno" in e
                                              for e in errors)),
           emails_received=(EMAILS, len(received)),
           distinct_recipients=(EMAILS, len(set(received))),
           rows_sent=(EMAILS, db.session.scalar(select(func.count(OutboundEmail.id)).where(
               OutboundEmail.sent_at.is_not(None)))),
           rows_left_claimed=(0, db.session.scalar(select(func.count(OutboundEmail.id)).where(
               OutboundEmail.sent_at.is_(None), OutboundEmail.claimed_at.is_not(None)))))
