"""Processing of planning requests. One job per request sends the receipt email, decides
every line and sends the decision email; the tap itself only saves and enqueues."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email
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
    for user in request.recipients():
        queue_email(user.email, f"request_{kind}", subject,
                    dedupe_key=f"request-{request.id}-{kind}-{user.id}", urgent=True, user=user,
                    request=request, requests_url=external_url("planning.requests"))


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
    _queue_emails(request, "receipt", _l("Demande reçue"))
    db.session.commit()  # the receipt goes out even if deciding fails
    request = lock_request(request_id)
    if request is None:
        db.session.rollback()
        return "missing"
    outcome = "already processed"
    if not request.is_processed:
        request.decide(Town.current().holiday_zone)
        tell_promoted(request.promoted)
        outcome = "processed"
    request.rank_waiting_lines()
    _queue_emails(request, "decision", _l("Demande traitée"))
    db.session.commit()
    return outcome


@sweeper
def requeue_lost_requests(now):
    return enqueue_each(Request.waiting_ids(submitted_before=now - LOST_AFTER),
                        lambda request_id: enqueue(process_request, request_id,
                                                   job_id=job_id(request_id)))
