"""Monthly invoicing. Staff start a run for a month; one job builds the invoices family
by family, a chunk of families per transaction, and writes its progress in the run's
row, which the staff page polls. Re-running a month issues only the invoices still
missing: a family has at most one invoice per month (a unique constraint, checked under
the lock of the year's invoice counter)."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email
from jobs.sweep import sweeper
from models import AuditEvent, Invoice, InvoicingRun, Town
from models.billing import families_with_activity, invoiced_families, issue_invoices, month_bounds
from models.clock import paris_today, utcnow
from models.db_tools import begin_write

CHUNK = 50
# A run of a large town renders a thousand emails: more than RQ's default 3 minutes.
JOB_TIMEOUT = 3600
# A run still queued or running this long after it was asked has lost its job.
LOST_AFTER = timedelta(minutes=2)
ACTIVE = ("queued", "running")


def job_id(run_id):
    return f"invoicing-run-{run_id}"


def start_run(month, user):
    """The run of `month` that is waiting or going on, or a new one enqueued after the
    commit. Returns (run, created)."""
    running = db.session.scalar(select(InvoicingRun).where(
        InvoicingRun.month == month, InvoicingRun.status.in_(ACTIVE)))
    if running is not None:
        return running, False
    run = InvoicingRun(month=month, status="queued", started_by_id=user.id)
    db.session.add(run)
    db.session.flush()
    AuditEvent.record(user, "invoicing.started", run, month=month.strftime("%Y-%m"))
    enqueue_run(run.id)
    return run, True


def enqueue_run(run_id):
    enqueue_after_commit(run_invoicing, run_id, job_id=job_id(run_id), job_timeout=JOB_TIMEOUT)


def _set(run_id, **values):
    db.session.execute(update(InvoicingRun).where(InvoicingRun.id == run_id).values(**values))


@job
def run_invoicing(run_id):
    """Issue the month's missing invoices and email the families. Safe to run again (a
    killed worker, the sweep): families already invoiced for the month are skipped."""
    begin_write()
    run = db.session.get(InvoicingRun, run_id, populate_existing=True)
    if run is None:
        return "missing"
    if run.status == "done":
        db.session.rollback()
        return "already done"
    month = run.month
    first, last = month_bounds(month)
    candidates = families_with_activity(first, last)
    done = invoiced_families(month)
    todo = [family_id for family_id in candidates if family_id not in done]
    # A run resumed after its worker died (the sweep) counts what it had already issued
    # as done, not as invoiced by another run: its progress goes on where it stopped.
    mine = db.session.scalar(select(func.count(Invoice.id)).where(Invoice.run_id == run_id))
    _set(run_id, status="running", started_at=run.started_at or utcnow(),
         families_total=len(todo) + mine, families_done=mine,
         already_invoiced=len(candidates) - len(todo) - mine, invoices_created=mine, error="")
    db.session.commit()
    today = paris_today()
    town = Town.current()
    try:
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            begin_write()
            invoices = issue_invoices(chunk, month, today, run_id=run_id)
            for invoice in invoices:
                _tell_family(invoice, town)
            _set(run_id, families_done=InvoicingRun.families_done + len(chunk),
                 invoices_created=InvoicingRun.invoices_created + len(invoices))
            db.session.commit()
            db.session.expunge_all()  # a large month must not pile up in the session
    except Exception as error:
        db.session.rollback()
        begin_write()
        _set(run_id, status="failed", finished_at=utcnow(), error=str(error)[:500])
        db.session.commit()
        raise
    begin_write()
    _set(run_id, status="done", finished_at=utcnow())
    db.session.commit()
    return "done"


def _tell_family(invoice, town):
    """'Nouvelle facture disponible' to every guardian with an account, in the same
    transaction as the invoice (the outbox sends it after the commit)."""
    for guardian in invoice.family.guardians:
        user = guardian.user
        if user is None or not user.is_confirmed:
            continue
        queue_email(user.email, "invoice_issued", _l("Nouvelle facture disponible"),
                    dedupe_key=f"invoice-{invoice.id}-user-{user.id}", user=user, town=town,
                    invoice=invoice,
                    invoice_url=external_url("billing.invoice", invoice_id=invoice.id))


@sweeper
def requeue_lost_runs(now):
    queued = 0
    for run_id in db.session.scalars(select(InvoicingRun.id).where(
            InvoicingRun.status.in_(ACTIVE), InvoicingRun.created_at < now - LOST_AFTER)):
        queued += enqueue(run_invoicing, run_id, job_id=job_id(run_id), job_timeout=JOB_TIMEOUT)
    return queued
