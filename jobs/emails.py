"""Emails: composed from templates/emails/, stored in the outbox, sent by a job."""
import time
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from rq import Retry
from sqlalchemy.exc import OperationalError

from extensions import db, mail
from jobs import enqueue_after_commit, job
from models import OutboundEmail, Town
from models.db_tools import begin_write
from models.email_batches import EmailBatch
from models.outbox import seal

# RQ retries a failed send after 30 s, 2 min, 10 min and 30 min; the sweep keeps
# trying after that, so a message waits out a long SMTP outage instead of being lost.
SEND_RETRY = Retry(max=4, interval=[30, 120, 600, 1800])
# An email that has left is recorded as sent, waiting this long for a database that went
# away meanwhile (a restart): left claimed and unsent, it would go again once its claim
# timed out, a second copy to the family.
RECORD_SENT_PATIENCE_SECONDS = 120


def external_url(endpoint, **values):
    """An absolute link for an email, built from PUBLIC_URL (no request needed)."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/",
                                       url_scheme=public.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def queue_email(to_address, template, subject, dedupe_key=None, locale=None, urgent=False,
                **context):
    """Store an email rendered from templates/emails/<template>.{txt,html} and send it
    after the commit. With a dedupe_key, the same email is never stored twice.
    It is written in the language of the `user` it is about, French by default.
    `urgent`: sent from the high-priority queue (a request's receipt and decision)."""
    if dedupe_key and OutboundEmail.exists(dedupe_key):
        return None
    locale = locale or getattr(context.get("user"), "locale", None) or "fr"
    if "town" not in context:  # callers sending many emails pass it, saving a query each
        context["town"] = Town.current()
    with force_locale(locale):
        email = OutboundEmail(
            dedupe_key=dedupe_key,
            kind=template,
            to_address=to_address,
            subject=one_line(subject),
            body_text=seal(template, render_template(f"emails/{template}.txt", **context)),
            body_html=seal(template, render_template(f"emails/{template}.html",
                                                     subject=subject, **context)),
        )
    db.session.add(email)
    db.session.flush()
    enqueue_email(email.id, urgent=urgent)
    return email


def one_line(text, limit=200):
    """A header value on one line: CR, LF and other control characters (a subject typed
    by a parent, sent with a forged form) become spaces, never a header break."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in str(text))
    return " ".join(cleaned.split())[:limit]


def enqueue_email(email_id, urgent=False):
    """The job of an email just stored in the outbox."""
    enqueue_after_commit(send_email, email_id, job_id=f"email-{email_id}", retry=SEND_RETRY,
                         urgent=urgent, new=True)


@job
def send_email(email_id):
    begin_write()
    email = db.session.get(OutboundEmail, email_id)
    if email is None or email.sent_at is not None or not email.claim():
        return "skipped"
    try:
        message = Message(subject=one_line(email.subject), recipients=[email.to_address],
                          body=email.text, html=email.html or None)
        mail.send(message)
    except Exception as error:
        # Whatever it is (SMTP down, a header Flask-Mail refuses), the row says why and
        # is free for the next try, never left claimed and silent.
        begin_write()
        email.release(f"{type(error).__name__}: {error}")
        raise
    _record_sent(email)
    return "sent"


def _record_sent(email):
    """mark_sent, trying again while the database does not answer (see
    RECORD_SENT_PATIENCE_SECONDS); the email is never sent again for it."""
    give_up = time.monotonic() + RECORD_SENT_PATIENCE_SECONDS
    pause = 0.2
    while True:
        try:
            email.mark_sent()
            return
        except OperationalError:
            db.session.rollback()
            if time.monotonic() > give_up:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def send_batch_when_due(batch_id, queue_due, come_back):
    """The emails of a batch of taps or of decided changes (models/email_batches.py):
    `queue_due(batch)` queues what is due and says what is still awaited; "open" (a tap
    joined it since) calls `come_back(batch)` for one closing later. Safe to run twice:
    the batch says what was queued."""
    begin_write()
    batch = EmailBatch.lock(batch_id)
    if batch is None:
        db.session.rollback()
        return "missing"
    awaited = queue_due(batch)
    if awaited == "open":
        come_back(batch)
    db.session.commit()
    return awaited or "sent"
