"""A message from the staff to many families, sent by one job: family by family, a
chunk per transaction, its progress written in the broadcast's row (the staff page
polls it). Each family gets a thread of Nous contacter; guardians with an account get
an email (outbox, one per person and message); the others are marked for the letter
batch. Running the job again skips the families already done (a unique recipient row)."""
from datetime import timedelta

from sqlalchemy import select, update

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email
from jobs.sweep import sweeper
from models import AuditEvent, Family, Town
from models.broadcasts import Broadcast, BroadcastRecipient, accounts_of
from models.clock import utcnow
from models.db_tools import begin_write
from models.messages import ContactThread

CHUNK = 50
JOB_TIMEOUT = 3600
LOST_AFTER = timedelta(minutes=2)
ACTIVE = ("queued", "running")


def job_id(broadcast_id):
    return f"broadcast-{broadcast_id}"


def start_broadcast(user, subject, body, target, value="", family_id=None, activity_id=None,
                    day=None):
    """Store the message and send it from a job after the commit; returns it."""
    broadcast = Broadcast(subject=subject.strip(), body=body.strip(), target=target,
                          target_value=value, family_id=family_id, activity_id=activity_id,
                          day=day, created_by_id=user.id)
    db.session.add(broadcast)
    db.session.flush()
    AuditEvent.record(user, "message.broadcast", broadcast, family_id=family_id,
                      audience=target)
    enqueue_after_commit(send_broadcast, broadcast.id, job_id=job_id(broadcast.id),
                         job_timeout=JOB_TIMEOUT)
    return broadcast


def _set(broadcast_id, **values):
    db.session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(**values))


@job
def send_broadcast(broadcast_id):
    begin_write()
    broadcast = db.session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        return "missing"
    if broadcast.status == "done":
        db.session.rollback()
        return "already done"
    done = set(db.session.scalars(select(BroadcastRecipient.family_id).where(
        BroadcastRecipient.broadcast_id == broadcast_id)))
    everyone = broadcast.family_ids()
    todo = [family_id for family_id in everyone if family_id not in done]
    _set(broadcast_id, status="running", families_total=len(everyone),
         families_done=len(everyone) - len(todo), error="")
    db.session.commit()
    try:
        for start in range(0, len(todo), CHUNK):
            begin_write()
            broadcast = db.session.get(Broadcast, broadcast_id)
            chunk = todo[start:start + CHUNK]
            emails, letters = _send_chunk(broadcast, broadcast.created_by, chunk)
            _set(broadcast_id, families_done=Broadcast.families_done + len(chunk),
                 emails_queued=Broadcast.emails_queued + emails,
                 letters=Broadcast.letters + letters)
            db.session.commit()
            db.session.expunge_all()
    except Exception as error:
        db.session.rollback()
        begin_write()
        _set(broadcast_id, status="failed", finished_at=utcnow(), error=str(error)[:500])
        db.session.commit()
        raise
    begin_write()
    _set(broadcast_id, status="done", finished_at=utcnow())
    db.session.commit()
    return "done"


def _send_chunk(broadcast, author, family_ids):
    """Threads, emails and letter marks for these families; returns (emails, letters)."""
    town = Town.current()
    emails = letters = 0
    families = db.session.scalars(select(Family).where(Family.id.in_(family_ids))).all()
    for family in families:
        thread = ContactThread.start_from_staff(family, author, broadcast.subject,
                                                broadcast.body)
        db.session.flush()
        users = accounts_of(family)
        db.session.add(BroadcastRecipient(broadcast_id=broadcast.id, family_id=family.id,
                                          thread_id=thread.id, by_letter=not users))
        letters += not users
        for user in users:
            queued = queue_email(user.email, "staff_message", broadcast.subject,
                                 dedupe_key=f"broadcast-{broadcast.id}-user-{user.id}",
                                 user=user, town=town, body=broadcast.body,
                                 thread_url=external_url("info.thread", thread_id=thread.id))
            emails += queued is not None
    return emails, letters


@sweeper
def requeue_lost_broadcasts(now):
    queued = 0
    for broadcast_id in db.session.scalars(select(Broadcast.id).where(
            Broadcast.status.in_(ACTIVE), Broadcast.created_at < now - LOST_AFTER)):
        queued += enqueue(send_broadcast, broadcast_id, job_id=job_id(broadcast_id),
                          job_timeout=JOB_TIMEOUT)
    return queued

