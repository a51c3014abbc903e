"""RQ jobs and the helpers that enqueue them.

Rules every job here follows (RQ delivers at least once):
- arguments are ids only, never personal data (Redis is not where it lives);
- a job is idempotent: running it twice changes nothing the second time;
- one job id per piece of work, so a replayed enqueue does not queue it twice;
- enqueueing happens after the database commit; if Redis is down the work stays in
  the database and the sweep (jobs/sweep.py) enqueues it later.
"""
import functools
import logging
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db

QUEUE_NAME = "portail"
# Work a person is waiting for (a request's decision and its emails) and the sweep go
# to their own queue, which workers empty first (`rq worker portail-high portail`): an
# invoicing run's thousands of emails never stand in front of a tap's decision.
HIGH_QUEUE_NAME = "portail-high"
QUEUE_NAMES = (HIGH_QUEUE_NAME, QUEUE_NAME)  # the order workers listen in
ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
FAILED_JOBS_KEPT_SECONDS = 7 * 24 * 3600
RESULTS_KEPT_SECONDS = 24 * 3600
# A started job whose worker has not beaten for this long died with its worker.
DEAD_AFTER = timedelta(minutes=2)
log = logging.getLogger(__name__)

_worker_app = None


def redis_connection(app=None):
    app = app or current_app
    connection = app.extensions.get("redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5,
                                    socket_connect_timeout=2)
        app.extensions["redis"] = connection
    return connection


def queue(app=None, name=QUEUE_NAME):
    return Queue(name, connection=redis_connection(app), serializer=JSONSerializer)


def queues(app=None):
    """Every queue, high priority first."""
    return [queue(app, name) for name in QUEUE_NAMES]


def _existing_job(job_id):
    try:
        return Job.fetch(job_id, connection=redis_connection(), serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def _is_alive(existing):
    status = existing.get_status(refresh=False)
    if status not in ACTIVE:
        return False
    if status == JobStatus.STARTED:
        beat = existing.last_heartbeat or existing.started_at
        if beat is not None:
            beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
            return datetime.now(UTC) - beat < DEAD_AFTER
    return True


QUEUED, WAITING, DOWN = "queued", "waiting", "down"


def enqueue(func, *args, job_id, **options):
    """Enqueue func(*args) as job_id unless that job is already waiting or running
    (a job left "started" by a killed worker is replaced).

    Returns False (and logs) when Redis cannot be reached: the caller has already
    committed the work to the database, where the sweep will find it.

    It goes to the high-priority queue when `urgent` says so, by default when the job
    function was declared @job(urgent=True).
    """
    return enqueue_status(func, *args, job_id=job_id, **options) != DOWN


def enqueue_status(func, *args, job_id, **options):
    """As enqueue(), saying what happened: QUEUED now, WAITING already (nothing done),
    or DOWN (Redis unreachable)."""
    # The job of a row this very transaction created cannot exist yet: one Redis round
    # trip fewer for each tap.
    new = options.pop("new", False)
    try:
        existing = None if new else _existing_job(job_id)  # whichever queue it is in
        if existing is not None:
            if _is_alive(existing):
                return WAITING
            _delete(existing)
        _put(func, args, job_id, options)
        return QUEUED
    except RedisError as error:
        log.warning("Redis unreachable, %s left for the sweep: %s", job_id, error)
        return DOWN


def _put(func, args, job_id, options, pipeline=None):
    """Queue the job (or schedule it, `at`): on its queue, with the defaults of every job;
    on `pipeline` when given (sent by its caller)."""
    options = dict(options)
    options.setdefault("failure_ttl", FAILED_JOBS_KEPT_SECONDS)
    options.setdefault("result_ttl", RESULTS_KEPT_SECONDS)
    options.pop("new", None)
    urgent = options.pop("urgent", getattr(func, "urgent", False))
    # A naive-UTC datetime: RQ's scheduler (`rq worker --with-scheduler`) queues it then.
    at = options.pop("at", None)
    jobs = queue(name=HIGH_QUEUE_NAME if urgent else QUEUE_NAME)
    if pipeline is not None:
        options["pipeline"] = pipeline
    if at is not None:
        jobs.enqueue_at(at.replace(tzinfo=UTC), func, *args, job_id=job_id, **options)
    else:
        jobs.enqueue(func, *args, job_id=job_id, **options)


def _put_new(pending):
    """Queue the jobs of rows this transaction created (none of them can exist yet) in
    one Redis round trip: one pipeline for them all, instead of two round trips each."""
    try:
        pipeline = redis_connection().pipeline()
        for func, args, job_id, options in pending:
            _put(func, args, job_id, options, pipeline=pipeline)
        pipeline.execute()
    except RedisError as error:
        log.warning("Redis unreachable, %s left for the sweep: %s",
                    ", ".join(job_id for _f, _a, job_id, _o in pending), error)


def _delete(existing):
    """Delete a dead job. RQ raises ValueError when one of its execution records has
    already expired ("Execution … not found"): its keys are then dropped by hand."""
    try:
        existing.delete()
    except ValueError as error:
        log.warning("job %s half gone (%s): its keys are dropped", existing.id, error)
        existing.connection.delete(existing.key, existing.execution_registry.key)


def enqueue_after_commit(func, *args, job_id, **options):
    """Enqueue once the current transaction commits; forget it if it rolls back."""
    db.session.connection()  # make sure a transaction is open, so a rollback forgets this
    pending = db.session.info.setdefault("jobs_after_commit", [])
    pending.append((func, args, job_id, options))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session):
    pending = session.info.pop("jobs_after_commit", [])
    new = [job for job in pending if job[3].get("new")]
    if new:
        _put_new(new)
    for func, args, job_id, options in pending:
        if not options.get("new"):
            enqueue(func, *args, job_id=job_id, **options)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session, previous_transaction):
    if not session.in_transaction():
        session.info.pop("jobs_after_commit", None)


def use_app(app):
    """The app jobs run in when none is pushed: the worker builds it once, before forking
    its work horses (jobs/worker.py)."""
    global _worker_app
    _worker_app = app


def job(func=None, *, urgent=False):
    """Run a job function inside an app context; a test may already have one pushed.
    @job(urgent=True): enqueued on the high-priority queue."""
    if func is None:
        return functools.partial(job, urgent=urgent)

    @functools.wraps(func)
    def run(*args, **kwargs):
        context = nullcontext() if has_app_context() else _worker_app.app_context()
        with context:
            return func(*args, **kwargs)

    run.urgent = urgent
    return run
