"""Telling a parent what the staff decided about their changes to the family file: the
fields one agent decides in a row (within EMAIL_GROUP_SECONDS of the last) go in one
email (models/email_batches.py), sent once the batch has closed."""
from flask_babel import lazy_gettext as _l

from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email, send_batch_when_due
from jobs.sweep import GRACE, enqueue_each, sweeper
from models.changes import APPROVED
from models.clock import utcnow
from models.email_batches import CHANGES, EmailBatch, join_change_batch

SUBJECTS = {
    True: _l("Votre modification du dossier famille est validée"),
    False: _l("Votre modification du dossier famille n'est pas acceptée"),
    None: _l("Vos modifications du dossier famille ont été examinées"),
}


def notify_decision(change):
    """Put the decision in the agent's batch for this parent; its email goes when the
    batch closes (at once without a window)."""
    batch, opened = join_change_batch(change)
    if batch is None:
        return
    if batch.closes_at <= utcnow():
        enqueue_after_commit(send_change_batch, batch.id, job_id=f"changes-{batch.id}", new=True)
    elif opened:
        _enqueue_after_commit(batch)


def _enqueue_after_commit(batch):
    enqueue_after_commit(send_change_batch, batch.id, at=batch.closes_at, new=True,
                         job_id=f"changes-{batch.id}-{batch.closes_at:%Y%m%d%H%M%S%f}")


def change_emails(batch, now=None):
    """Queue the batch's one email once it has closed; "open" while it is not."""
    now = now or utcnow()
    if not batch.is_closed(now):
        return "open"
    if batch.decision_at is None:
        changes = batch.changes
        user = changes[0].requested_by if changes else None
        if user is not None:
            outcomes = {c.status == APPROVED for c in changes}
            approved = outcomes.pop() if len(outcomes) == 1 else None
            template = "change_decided" if len(changes) == 1 else "changes_decided"
            queue_email(user.email, template, SUBJECTS[approved],
                        dedupe_key=f"changes-{batch.id}-decision", user=user, change=changes[0],
                        changes=changes, approved=approved,
                        family_url=external_url("family.index"))
        batch.receipt_at = batch.decision_at = now
    return None


@job
def send_change_batch(batch_id):
    return send_batch_when_due(batch_id, change_emails, _enqueue_after_commit)


@sweeper
def send_closed_change_batches(now):
    return enqueue_each(EmailBatch.due_ids(closed_before=now - GRACE, kind=CHANGES),
                        lambda batch_id: enqueue(send_change_batch, batch_id,
                                                 job_id=f"changes-{batch_id}"))
