"""The year's attestations of childcare costs for every family, one PDF each, in a zip
kept in the storage: a job, since each PDF takes WeasyPrint a fraction of a second."""
import io
import zipfile
from datetime import timedelta

from sqlalchemy import select, update

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.sweep import sweeper
from models import AuditEvent, Family, StatementBatch, StoredFile, Town
from models.clock import to_paris, utcnow
from models.db_tools import begin_write
from models.statements import childcare_statements

JOB_TIMEOUT = 3600
LOST_AFTER = timedelta(minutes=10)
ACTIVE = ("queued", "running")


def job_id(batch_id):
    return f"statement-batch-{batch_id}"


def start_batch(year, user):
    batch = StatementBatch(year=year, status="queued", started_by_id=user.id)
    db.session.add(batch)
    db.session.flush()
    AuditEvent.record(user, "statements.requested", batch, year=year)
    enqueue_after_commit(make_batch, batch.id, job_id=job_id(batch.id), job_timeout=JOB_TIMEOUT)
    return batch


@job
def make_batch(batch_id):
    from flask_babel import force_locale

    from blueprints.common.pdf import render_pdf  # the app's templates and stylesheet

    batch = db.session.get(StatementBatch, batch_id)
    if batch is None or batch.status == "done":
        return "nothing to do"
    year = batch.year
    family_ids = db.session.scalars(select(Family.id).order_by(Family.name, Family.id)).all()
    statements = childcare_statements(family_ids, year)
    town = Town.current()
    issued_on = to_paris(utcnow()).date()
    buffer = io.BytesIO()
    # Attestations are official papers, in French (no request here to choose a language).
    with force_locale("fr"), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for family_id in family_ids:
            statement = statements.get(family_id)
            if statement is None or statement.total <= 0:
                continue
            archive.writestr(f"attestation-{year}-{statement.family.name}-{family_id}.pdf",
                             render_pdf("billing/attestation_pdf.html", statement=statement,
                                       town=town, issued_on=issued_on))
    count = sum(1 for s in statements.values() if s.total > 0)
    db.session.rollback()  # reading done: the write transaction is short
    begin_write()
    stored = StoredFile.save(buffer.getvalue(), "application/zip",
                             f"attestations-frais-de-garde-{year}.zip")
    db.session.flush()
    db.session.execute(update(StatementBatch).where(StatementBatch.id == batch_id).values(
        status="done", count=count, file_id=stored.id, finished_at=utcnow()))
    db.session.commit()
    return "done"


@sweeper
def requeue_lost_statement_batches(now):
    queued = 0
    for batch_id in db.session.scalars(select(StatementBatch.id).where(
            StatementBatch.status.in_(ACTIVE), StatementBatch.created_at < now - LOST_AFTER)):
        queued += enqueue(make_batch, batch_id, job_id=job_id(batch_id),
                          job_timeout=JOB_TIMEOUT)
    return queued
