"""Drill: the worker is killed with kill -9 (its work horse too) in the middle of an
invoicing run for many families. The sweep gives the run to a new worker, which issues
only the invoices still missing: numbers without gap or duplicate, one invoice per
family and month, each family's email once."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import jobs as jobs_module
from extensions import db
from jobs import invoicing
from jobs.sweep import sweep
from models import Booking, Child, Family, Guardian, Invoice, InvoicingRun, OutboundEmail, User
from models.billing import families_with_activity, month_bounds
from models.clock import utcnow
from tests.billing_helpers import MONTH, days_of
from tests.drills.conftest import report, wait_until
from tests.helpers import activity

pytestmark = pytest.mark.drill
FAMILIES = 300  # six chunks: the kill lands after the first (a chunk takes well under
# the 0.1 s between two looks at the run, so two chunks could both be done by then)


def _many_families(count):
    """Families with one child booked at the canteen on 4 days of the month and a
    guardian with a confirmed account (who gets the invoice's email)."""
    canteen = activity("Restauration scolaire")
    days = days_of("Restauration scolaire", 4)
    for index in range(count):
        family = Family(name=f"FACTURE{index:03d}", quotient=400 + index)
        guardian = Guardian(first_name="Parent", last_name=f"F{index:03d}")
        family.guardians.append(guardian)
        family.children.append(Child(first_name=f"Enfant{index:03d}", last_name="Test"))
        db.session.add(family)
        db.session.flush()
        db.session.add(User(email=f"facture{index:03d}@example.net", password_hash="-",
                            first_name="Parent", last_name=f"F{index:03d}",
                            guardian_id=guardian.id, confirmed_at=utcnow()))
        for day in days:
            db.session.add(Booking(child_id=family.children[0].id, activity_id=canteen.id,
                                   day=day, state="reserved"))
    db.session.commit()


def _run(run_id):
    db.session.rollback()
    return db.session.get(InvoicingRun, run_id, populate_existing=True)


def test_worker_killed_mid_invoicing(app, demo, workers, mailbox, monkeypatch):
    _many_families(FAMILIES)
    families = families_with_activity(*month_bounds(MONTH))
    run = InvoicingRun(month=MONTH, status="queued")
    db.session.add(run)
    db.session.flush()
    run_id = run.id
    invoicing.enqueue_run(run_id)
    db.session.commit()

    worker = workers.start()
    wait_until(lambda: _run(run_id).families_done >= invoicing.CHUNK, timeout=40,
               what="the first chunk of invoices committed")
    workers.kill_9(worker)
    killed = _run(run_id)
    status_after_kill, issued_before_kill = killed.status, db.session.scalar(
        select(func.count(Invoice.id)))
    db.session.rollback()

    # A dead worker stops beating; the drill waits 2 s instead of 2 minutes, and ages
    # the run and the emails the kill left unqueued past the sweep's patience.
    monkeypatch.setattr(jobs_module, "DEAD_AFTER", timedelta(seconds=1))
    time.sleep(2)
    long_ago = utcnow() - timedelta(minutes=5)
    db.session.execute(update(InvoicingRun).where(InvoicingRun.id == run_id).values(
        created_at=long_ago))
    db.session.execute(update(OutboundEmail).where(OutboundEmail.sent_at.is_(None)).values(
        created_at=long_ago))
    db.session.commit()
    swept = sweep()["requeue_lost_runs"]
    # Jobs run in the new worker process itself (no fork per email): the run's emails
    # in time.
    workers.start(worker_class="SimpleWorker")
    wait_until(lambda: _run(run_id).status == "done", timeout=40, what="the run finished")
    wait_until(lambda: len(mailbox.messages) >= len(families), timeout=40, what="emails")
    time.sleep(1)  # a duplicate, if any, would arrive now
    db.session.rollback()

    rows = db.session.execute(select(Invoice.family_id, Invoice.month, Invoice.number)).all()
    numbers = sorted(number for _f, _m, number in rows)
    prefix = numbers[0].rsplit("-", 1)[0] if numbers else ""
    received = [m["To"] for m in mailbox.messages if "facture" in m["Subject"].lower()]
    print(f"   killed after {issued_before_kill} of {len(families)} invoices "
          f"(run {status_after_kill})")
    run = _run(run_id)
    report("worker kill -9 mid invoicing",
           killed_mid_run=(True, 0 < issued_before_kill < len(families)),
           runs_swept=(1, swept),
           invoices=(len(families), len(rows)),
           one_per_family_and_month=(len(families), len({(f, m) for f, m, _n in rows})),
           every_family_invoiced=(True, sorted(families) == sorted(f for f, _m, _n in rows)),
           gapless_numbers=(True, numbers == [f"{prefix}-{i:06d}"
                                              for i in range(1, len(families) + 1)]),
           run_progress=((len(families), len(families), len(families), 0),
                         (run.families_total, run.families_done, run.invoices_created,
                          run.already_invoiced)),
           emails_stored=(len(families), db.session.scalar(select(func.count(
               OutboundEmail.id)))),
           emails_received=(len(families), len(received)),
           distinct_recipients=(len(families), len(set(received))))
