"""Reference data kept by another process (models/reference.py): a real non-forking
`rq worker`, as production runs the high-priority queue, keeps the activities between
jobs; when the staff add a closure, its next decision follows it."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from models import Closure, Request
from models.db_tools import begin_write
from tests.e2e.conftest import ROOT
from tests.helpers import activity, booking_state, child, login, tap, upcoming_day

pytestmark = pytest.mark.e2e


@pytest.fixture
def simple_worker():
    rq = Path(sys.executable).parent / "rq"
    process = subprocess.Popen(
        [str(rq), "worker", "-w", "jobs.worker.SimpleWorker", "--url",
         os.environ["REDIS_URL"], "portail-high", "portail"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield process
    process.terminate()
    process.wait(timeout=15)


def _decided(count, timeout=30):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        db.session.rollback()  # see what the worker committed
        statuses = db.session.scalars(select(Request.status)).all()
        if sum(status == "processed" for status in statuses) >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"the worker did not decide {count} requests: {statuses}")


def test_the_worker_decides_with_the_closure_the_staff_just_added(client, demo,
                                                                  simple_worker):
    aps = activity("APS Soir")
    first = upcoming_day(aps, days_ahead=3, a_child=child("Léa"))
    second = upcoming_day(aps, days_ahead=10, a_child=child("Léa"))
    login(client, *demo.PARENT)
    # The worker decides a first request: it has read the closures (none), and keeps them.
    assert tap(client, "Léa", "APS Soir", first).status_code == 200
    _decided(1)
    assert booking_state("Léa", "APS Soir", first) == "reserved"
    # The staff close APS Soir on the second day (another process, committed); the page
    # Léa's parent still shows offers it: she taps.
    begin_write()
    db.session.add(Closure(activity_id=aps.id, first_day=second, last_day=second,
                           reason="Sortie du personnel"))
    db.session.commit()
    assert tap(client, "Léa", "APS Soir", second, state="none").status_code == 200
    _decided(2)
    # Had the worker kept the closures it read first, Léa would have the day.
    assert booking_state("Léa", "APS Soir", second) != "reserved"
    line = db.session.scalar(select(Request).order_by(Request.id.desc())).lines[0]
    assert line.outcome == "refused" and line.reason == "closure"
