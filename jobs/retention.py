"""The daily retention purge: a job, enqueued once a day by the sweep, that applies
every period of models/retention.py and leaves its report in the audit log."""
import logging

from extensions import db
from jobs import enqueue, job, redis_connection
from jobs.sweep import sweeper
from models import AuditEvent
from models.clock import paris_today, utcnow
from models.db_tools import begin_write
from models.retention import PURGE_ACTION, purge

log = logging.getLogger(__name__)


@job
def run_retention():
    """Purge what is past its period; returns the report {what: how many}."""
    begin_write()
    report = purge(utcnow())
    AuditEvent.record(None, PURGE_ACTION, **report)
    db.session.commit()
    log.info("retention purge: %s", report)
    return report


def _day_key():
    return f"portail:retention:{paris_today().isoformat()}"


@sweeper
def enqueue_daily_retention(now):
    """Once a day: the first sweep of the day (in Paris) takes the day's mark in Redis
    and enqueues the purge; the other sweeps of the day find the mark."""
    connection = redis_connection()
    if not connection.set(_day_key(), "1", nx=True, ex=2 * 24 * 3600):
        return 0
    if enqueue(run_retention, job_id=f"retention-{paris_today().isoformat()}"):
        return 1
    connection.delete(_day_key())  # Redis failed in between: the next sweep tries again
    return 0
