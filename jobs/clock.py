"""The clock process (`flask clock`): enqueues the sweep every minute.

`rq cron` would pickle its jobs while our workers read JSON, hence this small loop.
Several clocks may run: the sweep has one job id, so it is never queued twice.
"""
import time

from jobs import enqueue
from jobs.sweep import SWEEP_INTERVAL_SECONDS, sweep


def run_forever(interval=SWEEP_INTERVAL_SECONDS):
    while True:
        enqueue(sweep, job_id="sweep")  # logs and carries on when Redis is down
        time.sleep(interval)
