"""The periodic sweep: whatever the database says is still to do gets enqueued again.

It covers Redis being down when work was committed, a worker killed mid-job and a
job that failed all its retries. Every job it enqueues is idempotent.
"""
import importlib
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from extensions import db
from jobs import enqueue, job
from jobs.emails import SEND_RETRY, send_email
from models import AuditEvent, ChangeRequest, OutboundEmail, Town, UserSession
from models.clock import utcnow
from models.db_tools import begin_write

SWEEP_INTERVAL_SECONDS = 60
# Leave fresh work to the enqueue that follows its commit.
GRACE = timedelta(seconds=30)
SESSION_ROWS_KEPT = timedelta(days=30)

# Each area marks with @sweeper a function that re-enqueues its own leftovers; the
# modules holding them are listed here so the sweep always loads them.
SWEEPERS = []
SWEEPER_MODULES = ["jobs.requests", "jobs.invoicing"]


def sweeper(func):
    SWEEPERS.append(func)
    return func


@sweeper
def resend_unsent_emails(now):
    queued = 0
    for email_id in OutboundEmail.unsent_ids(older_than=now - GRACE):
        queued += enqueue(send_email, email_id, job_id=f"email-{email_id}", retry=SEND_RETRY)
    return queued


@sweeper
def purge_old_sessions(now):
    begin_write()
    UserSession.purge_expired(before=now - SESSION_ROWS_KEPT)
    db.session.commit()
    return 0


@sweeper
def purge_audit_log(now):
    """Audit rows, and decided changes to family files, live for the retention period
    admins set (12 months by default)."""
    cutoff = now - relativedelta(months=Town.audit_retention())
    purged = AuditEvent.purge(before=cutoff)
    ChangeRequest.purge_closed(before=cutoff)
    db.session.commit()
    return purged


@job(urgent=True)
def sweep():
    for module in SWEEPER_MODULES:
        importlib.import_module(module)
    now = utcnow()
    return {func.__name__: func(now) for func in SWEEPERS}
