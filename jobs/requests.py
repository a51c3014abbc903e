"""Processing of planning requests. One job per request stores the receipt email,
decides every line and stores the decision email, then one job sends both; the tap
itself only saves and enqueues."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import SEND_RETRY, external_url, queue_email, send_emails
from jobs.sweep import enqueue_each, sweeper
from jobs.waiting import tell_promoted
from models import Request, Town
from models.db_tools import begin_write
from models.requests import lock_request

# A request still "received" this long after it was sent has lost its job (Redis was
# down, or the worker died): the sweep enqueues it again.
LOST_AFTER = timedelta(minutes=1)


def job_id(request_id):
    return f"request-{request_id}"


def enqueue_request(request):
    """Process the request once the transaction that saved it commits."""
    enqueue_after_commit(process_request, request.id, job_id=job_id(request.id), new=True)


def _queue_emails(request, kind, subject):
    """The emails stored (not yet sent) for each recipient, as ids: none when an earlier
    run of the job stored them already."""
    emails = [queue_email(user.email, f"request_{kind}", subject,
                          dedupe_key=f"request-{request.id}-{kind}-{user.id}", send=False,
                          user=user, request=request,
                          requests_url=external_url("planning.requests"))
              for user in request.recipients()]
    return [email.id for email in emails if email is not None]


def _send(request_id, email_ids):
    """One job sends them all, in order, once this transaction commits."""
    if email_ids:
        enqueue_after_commit(send_emails, email_ids,
                             job_id=f"request-{request_id}-emails-{email_ids[0]}",
                             retry=SEND_RETRY, urgent=True)


@job(urgent=True)
def process_request(request_id):
    """Receipt, decision, decision email. Safe to run twice: each email is queued once
    (dedupe keys) and a processed request is not decided again."""
    # The receipt is read then written: on SQLite the write lock must be held from the
    # start, or another worker's commit in between fails this one at once.
    begin_write()
    request = db.session.get(Request, request_id)
    if request is None:
        db.session.rollback()
        return "missing"
    receipts = _queue_emails(request, "receipt", _l("Demande reçue"))
    db.session.commit()  # the receipt is kept even if deciding fails
    try:
        request = lock_request(request_id)
        if request is None:
            db.session.rollback()
            return "missing"
        outcome = "already processed"
        if not request.is_processed:
            request.decide(Town.current().holiday_zone)
            tell_promoted(request.promoted)
            outcome = "processed"
        _send(request_id, receipts + _queue_emails(request, "decision", _l("Demande traitée")))
        db.session.commit()
    except Exception:
        # The receipt goes out all the same; the job is retried for the decision.
        db.session.rollback()
        _send(request_id, receipts)
        db.session.commit()
        raise
    return outcome


@sweeper
def requeue_lost_requests(now):
    return enqueue_each(Request.waiting_ids(submitted_before=now - LOST_AFTER),
                        lambda request_id: enqueue(process_request, request_id,
                                                   job_id=job_id(request_id)))
