"""Processing of planning requests. One job per request decides every line at once;
the emails of the taps grouped in one batch (models/email_batches.py) go once the batch
has closed: one receipt, and one decision email once every request in it is decided.
The tap itself only saves and enqueues."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email, send_batch_when_due
from jobs.sweep import GRACE, enqueue_each, sweeper
from jobs.waiting import tell_promoted
from models import OutboundEmail, Request, Town
from models.bundles import Bundle
from models.clock import utcnow
from models.db_tools import begin_write
from models.email_batches import EmailBatch
from models.requests import lock_request

# A request still "received" this long after it was sent has lost its job (Redis was
# down, or the worker died): the sweep enqueues it again.
LOST_AFTER = timedelta(minutes=1)
SUBJECTS = {"receipt": _l("Demande reçue"), "decision": _l("Demande traitée"),
            "undone": _l("Demande annulée")}


def job_id(request_id):
    return f"request-{request_id}"


def enqueue_request(request):
    """Process the request once the transaction that saved it commits; a batch it
    opened gets its closing job, run when the batch closes."""
    enqueue_after_commit(process_request, request.id, job_id=job_id(request.id), new=True)
    batch = request.batch
    if batch is not None and getattr(request, "opened_batch", False) \
            and batch.closes_at > utcnow():
        _enqueue_batch_after_commit(batch)


def _batch_job_id(batch):
    return f"batch-{batch.id}-{batch.closes_at:%Y%m%d%H%M%S%f}"


def _enqueue_batch_after_commit(batch):
    enqueue_after_commit(send_batch, batch.id, job_id=_batch_job_id(batch), at=batch.closes_at,
                         new=True)


def _queue_emails(request, kind, key, recipients=None, **context):
    for user in recipients or request.recipients():
        queue_email(user.email, f"request_{kind}", SUBJECTS[kind],
                    dedupe_key=f"{key}-{kind}-{user.id}", urgent=True, user=user,
                    request=request, requests_url=external_url("planning.requests"),
                    **context)


def batch_emails(batch, now=None):
    """Queue what is due of the batch's emails: the receipt once it has closed, the
    decision once every request is decided too. Requests taken back before are left
    out (nothing to say of them). Returns what is still awaited: "open", "deciding" or
    None when both are queued. The caller holds the batch's lock (or the write lock)."""
    now = now or utcnow()
    if not batch.is_closed(now):
        return "open"
    kept = [r for r in batch.requests if r.undone_at is None]
    recipients = kept[0].recipients() if kept else []
    if batch.receipt_at is None:
        if kept:
            _queue_emails(Bundle(kept), "receipt", f"batch-{batch.id}", recipients)
        batch.receipt_at = now
    if batch.decision_at is None:
        if not all(r.is_processed for r in batch.requests):
            return "deciding"
        if kept:
            _queue_emails(Bundle(kept), "decision", f"batch-{batch.id}", recipients)
        batch.decision_at = now
    return None


@job(urgent=True)
def send_batch(batch_id):
    return send_batch_when_due(batch_id, batch_emails, _enqueue_batch_after_commit)


@job(urgent=True)
def process_request(request_id):
    """Decide the request, then queue its batch's emails if they are due. Safe to run
    twice: a processed request is not decided again, and each email is queued once."""
    # On SQLite the write lock must be held from the start, or another worker's commit
    # in between fails this one at once.
    begin_write()
    request = db.session.get(Request, request_id)
    if request is None:
        db.session.rollback()
        return "missing"
    if request.batch_id is None:  # saved before emails were grouped
        _queue_emails(request, "receipt", f"request-{request.id}")
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
    if request.batch_id is None:
        _queue_emails(request, "decision", f"request-{request.id}")
    else:
        batch_emails(EmailBatch.lock(request.batch_id))
    db.session.commit()
    return outcome


def decision_already_sent(request):
    """Whether the family was already told the decision of this request."""
    if request.batch_id is None:
        return any(OutboundEmail.exists(f"request-{request.id}-decision-{user.id}")
                   for user in request.recipients())
    return request.batch.decision_at is not None


def after_undo(undo):
    """What an undo tells: the family, by email, only if it was already told the
    decision; the families a freed place went to."""
    tell_promoted(undo.promoted)
    request = undo.request
    if decision_already_sent(request):
        _queue_emails(request, "undone", f"undo-{request.id}", booking=undo.booking)


@sweeper
def requeue_lost_requests(now):
    return enqueue_each(Request.waiting_ids(submitted_before=now - LOST_AFTER),
                        lambda request_id: enqueue(process_request, request_id,
                                                   job_id=job_id(request_id)))


@sweeper
def send_closed_batches(now):
    """Batches whose closing job was lost (Redis down, a worker restarted meanwhile)."""
    return enqueue_each(EmailBatch.due_ids(closed_before=now - GRACE),
                        lambda batch_id: enqueue(send_batch, batch_id,
                                                 job_id=f"batch-{batch_id}"))
