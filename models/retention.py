"""How long the portal keeps each kind of data, and the purge that applies it.

Defaults follow the CNIL's advice for municipal childhood services: what is needed to
serve a family is kept while it is served; health data and documents of a family that
left go after a year; a PAI lasts one school year; an email's body is not kept once
sent; emails holding a one-time link (password reset, confirmation) are stored
encrypted and lose their body as soon as they are sent; billing stays for the legal
accounting period, anonymised when a family asks to be erased.

Admins may change each period (`flask retention set KIND VALUE`); RetentionSetting
rows hold what differs from the defaults.
"""
import contextlib
import os
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.calendar import school_year_bounds, school_year_of
from models.clock import paris_today


@dataclass(frozen=True)
class Kind:
    label: str
    unit: str  # "months", "days" or "years"
    default: int
    # What an admin may set: never more than the CNIL's advice allows, never less than
    # the service (or the law, for billing) needs.
    minimum: int = 0
    maximum: int = 120


KINDS = {
    "departed_family_files": Kind("Documents et données de santé d'une famille partie "
                                  "(sans inscription depuis)", "months", 12, 1, 60),
    "sent_email_bodies": Kind("Contenu des emails une fois envoyés", "days", 7, 0, 90),
    "unsent_link_emails": Kind("Emails à lien unique non envoyés (lien expiré)", "days", 2,
                               1, 30),
    "billing_after_erasure": Kind("Facturation anonymisée d'une famille effacée "
                                  "(durée comptable légale)", "years", 10, 10, 30),
}
# The PAI document lasts the school year it was given for: no setting.
PAI_KIND = "pai"


class RetentionSetting(db.Model):
    __tablename__ = "retention_settings"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def amount(kind):
    """How many units (KINDS[kind].unit) `kind` is kept: its default unless an admin
    changed it."""
    value = db.session.get(RetentionSetting, kind)
    return value.value if value is not None else KINDS[kind].default


def period(kind):
    """The period set for `kind`, as a relativedelta (18 months reads 1 year 6 months:
    ask amount() for the number set)."""
    return relativedelta(**{KINDS[kind].unit: amount(kind)})


def set_period(kind, value):
    if kind not in KINDS or not KINDS[kind].minimum <= value <= KINDS[kind].maximum:
        raise ValueError(kind)
    row = db.session.get(RetentionSetting, kind) or RetentionSetting(kind=kind)
    row.value = value
    db.session.add(row)


def change_periods(values):
    """Set every period of `values` ({kind: amount}) at once, after checking them all
    (one out of bounds: ValueError naming it, nothing set). Returns what changed,
    {kind: [before, after]}, for the audit log."""
    for kind, value in values.items():
        spec = KINDS.get(kind)
        if spec is None or not spec.minimum <= value <= spec.maximum:
            raise ValueError(kind)
    changed = {}
    for kind, value in values.items():
        before = amount(kind)
        if before != value:
            set_period(kind, value)
            changed[kind] = [before, value]
    return changed


PURGE_ACTION = "retention.purged"


def last_purge():
    """The last purge's audit event (when, and its report in `details`), or None."""
    from models.audit import AuditEvent

    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == PURGE_ACTION)
                             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))


def settings():
    """[(kind, label, value, unit)] for the admin and the CLI."""
    return [(kind, spec.label, amount(kind), spec.unit)
            for kind, spec in KINDS.items()]


# -- the purge -------------------------------------------------------------------------

def purge(now):
    """Apply every retention period; returns {what: how many rows} (the report)."""
    from models.outbox import purge_bodies

    report = {}
    report["sent_email_bodies"], report["unsent_link_emails"] = purge_bodies(
        sent_before=now - period("sent_email_bodies"),
        unsent_links_before=now - period("unsent_link_emails"))
    report["pai_documents"] = _purge_documents(_pai_documents())
    departed = departed_families(now)
    report["departed_families"] = len(departed)
    report["departed_documents"] = _purge_documents(_documents_of(departed))
    report["departed_health_records"] = _purge_health(departed)
    report["erased_families_billing"] = purge_erased_billing(now)
    return report


def _pai_documents():
    """PAI documents given for a school year that has ended."""
    from models.documents import Document

    start, _end = school_year_bounds(school_year_of(paris_today()))
    return select(Document).where(Document.kind == PAI_KIND, Document.uploaded_at < start)


def departed_families(now):
    """Families with no enrollment for a school year that ended less than the period
    ago (nor since), created before that too: they have left the service."""
    from models.family import Child, Family
    from models.planning import Enrollment

    cutoff = (now - period("departed_family_files")).date()
    last_year = school_year_of(cutoff) - 1  # school years ending before the cutoff
    recent = (select(Child.family_id).join(Enrollment, Enrollment.child_id == Child.id)
              .where(Enrollment.school_year > last_year))
    return list(db.session.scalars(select(Family.id).where(
        Family.id.not_in(recent), Family.created_at < cutoff)))


def _documents_of(family_ids):
    from models.documents import Document

    return select(Document).where(Document.family_id.in_(family_ids))


def _purge_documents(query):
    documents = db.session.scalars(query).all()
    for document in documents:
        stored = document.file
        db.session.delete(document)
        if stored is not None:
            stored.discard()  # the file goes once this is committed
    return len(documents)


def _purge_health(family_ids):
    from models.child_file import HealthRecord
    from models.family import Child

    children = select(Child.id).where(Child.family_id.in_(family_ids))
    return db.session.execute(delete(HealthRecord).where(
        HealthRecord.child_id.in_(children))).rowcount


# -- erasure on request ----------------------------------------------------------------

BILLING_TABLES = {"invoices", "invoice_lines", "payments", "payment_allocations"}
# Kept: the audit log (who did what, purged by its own period) and the family row,
# anonymised, which the invoices point at.
KEPT_TABLES = BILLING_TABLES | {"audit_events", "families"}
ERASED = "Famille effacée"


def erase_family(family_id):
    """Erase what the portal holds about a family, on its request: every row but its
    billing, which is anonymised and kept for the legal accounting period. Returns
    {table: rows deleted or anonymised}."""
    from models.billing import Invoice, InvoiceLine
    from models.family import Child, Family
    from models.family_data import owned_ids
    from models.photos import photo_path

    family = db.session.get(Family, family_id)
    owned = owned_ids(family_id)
    photos = [photo_path(c.photo_name) for c in family.children]
    _purge_documents(_documents_of([family_id]))
    report = {}
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for name in reversed([t.name for t in db.metadata.sorted_tables]):
        if name in owned and name not in KEPT_TABLES:
            table = tables[name]
            report[name] = db.session.execute(
                delete(table).where(table.c.id.in_(owned[name]))).rowcount
    db.session.execute(delete(Child).where(Child.family_id == family_id))
    report["invoices"] = db.session.execute(update(Invoice).where(
        Invoice.family_id == family_id).values(family_name=ERASED, family_address="")).rowcount
    report["invoice_lines"] = db.session.execute(update(InvoiceLine).where(
        InvoiceLine.invoice_id.in_(select(Invoice.id).where(Invoice.family_id == family_id)))
        .values(child_name="")).rowcount
    db.session.execute(update(Family).where(Family.id == family_id).values(
        name=f"{ERASED} {family_id}", address_line="", postal_code="", city="",
        subscriber_code_hash=None, code_issued_at=None, bank_holder="", iban="", bic="",
        quotient=None, mandate_signed_on=None))
    db.session.expunge_all()  # rows deleted in bulk: nothing stale stays in the session
    for path in photos:
        if path:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
    return {name: count for name, count in report.items() if count}


def purge_erased_billing(now):
    """Billing of erased families, once the legal accounting period is over."""
    from models.billing import Invoice
    from models.family import Family

    cutoff = (now - period("billing_after_erasure")).date()
    erased = select(Family.id).where(Family.name.like(f"{ERASED} %"))
    old = db.session.scalars(select(Invoice.id).where(
        Invoice.family_id.in_(erased), Invoice.issued_on < cutoff)).all()
    if old:
        db.session.execute(delete(Invoice).where(Invoice.id.in_(old)))
    return len(old)

