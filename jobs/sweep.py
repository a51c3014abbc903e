"""The periodic sweep: whatever the database says is still to do gets enqueued again.

It covers Redis being down when work was committed, a worker killed mid-job and a
job that failed all its retries. Every job it enqueues is idempotent.
"""
import importlib
import logging
import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from redis.exceptions import RedisError

from extensions import db
from jobs import enqueue, job, redis_connection
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
SWEEPER_MODULES = ["jobs.requests", "jobs.changes", "jobs.invoicing", "jobs.broadcasts",
                   "jobs.online_payments",
                   "jobs.reenrollment", "jobs.corrections", "jobs.reminders", "jobs.statements",
                   "jobs.retention", "jobs.notifications"]
# When the sweep last ran (a Unix time in Redis): /healthz and the web app read it.
LAST_SWEEP_KEY = "portail:sweep:last"
log = logging.getLogger(__name__)


def sweeper(func):
    SWEEPERS.append(func)
    return func


def enqueue_each(ids, enqueue_one):
    """enqueue_one(id) for each id: one that fails is logged, the others still go."""
    queued = 0
    for item in ids:
        try:
            queued += bool(enqueue_one(item))
        except Exception:  # noqa: BLE001 - one broken job must not stop the sweep
            log.exception("sweep: could not enqueue %s", item)
    return queued


@sweeper
def resend_unsent_emails(now):
    return enqueue_each(
        OutboundEmail.unsent_ids(older_than=now - GRACE),
        lambda email_id: enqueue(send_email, email_id, job_id=f"email-{email_id}",
                                 retry=SEND_RETRY))


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
    report = {}
    for func in SWEEPERS:
        try:
            report[func.__name__] = func(now)
        except Exception:  # noqa: BLE001 - the other sweepers still run
            log.exception("sweep: %s failed", func.__name__)
            db.session.rollback()
            report[func.__name__] = "error"
    _record_run()
    return report


def _record_run():
    try:
        redis_connection().set(LAST_SWEEP_KEY, int(time.time()))
    except RedisError as error:
        log.warning("sweep: could not record its run: %s", error)


def last_run_age(connection):
    """Seconds since the sweep last ran, None if it never did (as far as Redis knows)."""
    last = connection.get(LAST_SWEEP_KEY)
    return None if last is None else time.time() - int(last)
