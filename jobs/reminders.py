"""Reminders of unpaid invoices, sent by the periodic sweep: each reminder is taken once
(models/reminders.py) and its emails queued in the same transaction (the outbox)."""
from flask_babel import lazy_gettext as _l

from extensions import db
from jobs.emails import external_url, queue_email
from jobs.sweep import sweeper
from models import Town
from models.clock import to_paris
from models.db_tools import begin_write
from models.reminders import FIRST, take_due_reminders

SUBJECTS = {FIRST: _l("Rappel : facture à régler"),
            2: _l("Second rappel : facture impayée")}


@sweeper
def send_invoice_reminders(now):
    begin_write()
    taken = take_due_reminders(to_paris(now).date())
    town = Town.current() if taken else None
    for invoice, level in taken:
        for guardian in invoice.family.guardians:
            user = guardian.user
            if user is None or not user.is_confirmed:
                continue  # families without an account get the printed letter
            queue_email(user.email, "invoice_reminder", SUBJECTS[level],
                        dedupe_key=f"reminder-{invoice.id}-{level}-user-{user.id}",
                        user=user, town=town, invoice=invoice, level=level,
                        invoice_url=external_url("billing.invoice", invoice_id=invoice.id))
    db.session.commit()
    return len(taken)
