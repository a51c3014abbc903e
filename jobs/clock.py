"""The clock process (`flask clock`): enqueues the sweep every minute.

`rq cron` would pickle its jobs while our workers read JSON, hence this small loop.
Several clocks may run: the sweep has one job id, so it is never queued twice.

Without a clock the web app stands in (sweep_if_late, at most once a minute per
process), and /healthz turns red when the sweep is late.
"""
import logging
import time

from flask import current_app
from redis.exceptions import RedisError

from jobs import enqueue, redis_connection
from jobs.sweep import SWEEP_INTERVAL_SECONDS, last_run_age, sweep

# The sweep is late when it has not run for this long (a clock beats every minute).
LATE_AFTER_SECONDS = 3 * SWEEP_INTERVAL_SECONDS
log = logging.getLogger(__name__)
_next_check = 0.0


def run_forever(interval=SWEEP_INTERVAL_SECONDS):
    while True:
        enqueue(sweep, job_id="sweep")  # logs and carries on when Redis is down
        time.sleep(interval)


def sweep_is_late(connection):
    age = last_run_age(connection)
    return age is None or age > LATE_AFTER_SECONDS


def sweep_if_late():
    """before_request: if no clock got the sweep done lately, enqueue it from here (a
    Redis read at most once a minute per process; the sweep's job id keeps it single)."""
    global _next_check
    if not current_app.config["SWEEP_FROM_WEB"] or time.monotonic() < _next_check:
        return
    _next_check = time.monotonic() + SWEEP_INTERVAL_SECONDS
    try:
        late = sweep_is_late(redis_connection())
    except RedisError:
        return
    if late:
        log.warning("the sweep is late (is the clock process running?): enqueued by the web")
        enqueue(sweep, job_id="sweep")
