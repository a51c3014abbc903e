"""Issuing corrections (régularisations). Billing staff ask for a month (one family or
all); one job recomputes the month and issues the credit notes and supplementary
invoices in one transaction. Safe to run twice: what is issued is no longer pending."""
from collections import defaultdict
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email
from jobs.sweep import sweeper
from models import AuditEvent, CorrectionRun, CreditNote, Guardian, Invoice, Town, User
from models.clock import to_paris, utcnow
from models.corrections import issue_corrections
from models.db_tools import begin_write

JOB_TIMEOUT = 3600
LOST_AFTER = timedelta(minutes=2)
ACTIVE = ("queued", "running")


def job_id(run_id):
    return f"correction-run-{run_id}"


def start_corrections(month, user, family_id=None):
    """Record the request and enqueue its job after the commit."""
    run = CorrectionRun(month=month, family_id=family_id, status="queued",
                        started_by_id=user.id)
    db.session.add(run)
    db.session.flush()
    AuditEvent.record(user, "corrections.requested", run, family_id=family_id,
                      month=month.strftime("%Y-%m"))
    enqueue_after_commit(run_corrections, run.id, job_id=job_id(run.id),
                         job_timeout=JOB_TIMEOUT)
    return run


@job
def run_corrections(run_id):
    begin_write()
    run = db.session.get(CorrectionRun, run_id, populate_existing=True)
    if run is None:
        return "missing"
    if run.status == "done":
        db.session.rollback()
        return "already done"
    by = db.session.get(User, run.started_by_id) if run.started_by_id else None
    today = to_paris(utcnow()).date()
    try:
        notes, invoices = issue_corrections(
            run.month, today, by, family_ids=[run.family_id] if run.family_id else None,
            run_id=run.id)
        for number in notes:
            AuditEvent.record(by, "credit_note.issued", run, month=run.month.strftime("%Y-%m"),
                              number=number, reason="corrections")
        for number in invoices:
            AuditEvent.record(by, "supplementary_invoice.issued", run,
                              month=run.month.strftime("%Y-%m"), number=number,
                              reason="corrections")
        _tell_families(notes, invoices)
        db.session.execute(update(CorrectionRun).where(CorrectionRun.id == run_id).values(
            status="done", credit_notes=len(notes), invoices=len(invoices),
            finished_at=utcnow(), error=""))
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        begin_write()
        db.session.execute(update(CorrectionRun).where(CorrectionRun.id == run_id).values(
            status="failed", finished_at=utcnow(), error=str(error)[:500]))
        db.session.commit()
        raise
    return "done"


def _tell_families(note_numbers, invoice_numbers):
    """'Un avoir a été émis' and 'Nouvelle facture disponible' to the guardians with an
    account, sent by the outbox after the commit."""
    if not note_numbers and not invoice_numbers:
        return
    town = Town.current()
    notes = db.session.scalars(select(CreditNote).where(
        CreditNote.number.in_(note_numbers))).all() if note_numbers else []
    invoices = db.session.scalars(select(Invoice).where(
        Invoice.number.in_(invoice_numbers))).all() if invoice_numbers else []
    guardians = defaultdict(list)
    for guardian in db.session.scalars(select(Guardian).where(Guardian.family_id.in_(
            {d.family_id for d in [*notes, *invoices]})).options(selectinload(Guardian.user))):
        if guardian.user is not None and guardian.user.is_confirmed:
            guardians[guardian.family_id].append(guardian.user)
    for note in notes:
        for user in guardians[note.family_id]:
            queue_email(user.email, "credit_note_issued", _l("Un avoir a été émis"),
                        dedupe_key=f"credit-note-{note.id}-user-{user.id}", user=user,
                        town=town, note=note,
                        invoice_url=external_url("billing.invoice", invoice_id=note.invoice_id))
    for invoice in invoices:
        for user in guardians[invoice.family_id]:
            queue_email(user.email, "invoice_issued", _l("Nouvelle facture disponible"),
                        dedupe_key=f"invoice-{invoice.id}-user-{user.id}", user=user,
                        town=town, invoice=invoice,
                        invoice_url=external_url("billing.invoice", invoice_id=invoice.id))


@sweeper
def requeue_lost_correction_runs(now):
    queued = 0
    for run_id in db.session.scalars(select(CorrectionRun.id).where(
            CorrectionRun.status.in_(ACTIVE), CorrectionRun.created_at < now - LOST_AFTER)):
        queued += enqueue(run_corrections, run_id, job_id=job_id(run_id),
                          job_timeout=JOB_TIMEOUT)
    return queued
