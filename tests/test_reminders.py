"""Reminders of unpaid invoices, sent by the periodic sweep in the real worker, each once;
the staff list of overdue families and the « transmis au Trésor public » mark."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs import enqueue
from jobs.sweep import sweep
from models import BillingSettings, InvoiceFollowUp, OutboundEmail
from models.billing import issue_invoices, record_payment
from models.clock import to_paris, utcnow
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, plain, words
from tests.helpers import csrf_from, login, page, text_of

CANTEEN = "Restauration scolaire"
REGISSEUR = ("regie@example.org", "portail-regie-2026")


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def unpaid(demo):
    """MARTIN's March invoice (9,40 €) fell due 12 days ago; BERNARD's is paid."""
    for day in days_of(CANTEEN, 4):
        book("Léa", CANTEEN, day)
    book("Jules", CANTEEN, days_of(CANTEEN, 1)[0])
    issue_invoices([family("MARTIN").id, family("BERNARD").id], MONTH, today())
    for name in ("MARTIN", "BERNARD"):
        invoice_of(name).due_on = today() - timedelta(days=12)
    record_payment(family("BERNARD"), Decimal("1.00"), "cash", today(), None)
    db.session.commit()
    return demo


def sweep_in_the_worker(run_jobs):
    enqueue(sweep, job_id="sweep-test")
    run_jobs()


def reminders():
    return db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "invoice_reminder"))


def test_first_then_second_reminder_each_once(unpaid, run_jobs, mailbox):
    sweep_in_the_worker(run_jobs)  # 12 days late, the first comes after 10
    email = mailbox.wait_for(unpaid.PARENT[0], "Rappel : facture à régler")
    text = plain(text_of(email))
    assert invoice_of("MARTIN").number in text and "il reste 9,40 €" in text
    assert reminders() == 1  # BERNARD paid: nothing
    sweep_in_the_worker(run_jobs)
    assert reminders() == 1  # the sweep runs every minute: once is once
    # 31 days late, three weeks after the first reminder: the second one.
    invoice_of("MARTIN").due_on = today() - timedelta(days=31)
    follow_up = db.session.get(InvoiceFollowUp, invoice_of("MARTIN").id)
    follow_up.first_reminder_at = utcnow() - timedelta(days=21)
    db.session.commit()
    sweep_in_the_worker(run_jobs)
    email = mailbox.wait_for(unpaid.PARENT[0], "Second rappel : facture impayée")
    assert "transmise au Trésor public" in plain(text_of(email))
    sweep_in_the_worker(run_jobs)
    assert reminders() == 2


def test_both_dates_past_still_leave_the_gap_between_reminders(unpaid, run_jobs):
    invoice_of("MARTIN").due_on = today() - timedelta(days=60)
    db.session.commit()
    sweep_in_the_worker(run_jobs)
    sweep_in_the_worker(run_jobs)
    subjects = db.session.scalars(select(OutboundEmail.subject).where(
        OutboundEmail.kind == "invoice_reminder")).all()
    assert subjects == ["Rappel : facture à régler"]


def test_the_town_sets_the_schedule(client, unpaid, run_jobs):
    login(client, *unpaid.ADMIN)
    html = page(client, "/admin/facturation/regles")
    data = {"csrf_token": csrf_from(html), "bill_reserved_present": "y",
            "unreserved_surcharge_percent": "20", "default_bracket_id": "0", "due_days": "30",
            "first_reminder_days": "20", "second_reminder_days": "15"}
    refused = client.post("/admin/facturation/regles", data=data)
    assert refused.status_code == 422
    assert "Le second rappel vient après le premier." in words(refused.get_data(as_text=True))
    data["second_reminder_days"] = "40"
    assert client.post("/admin/facturation/regles", data=data).status_code == 302
    assert BillingSettings.current().first_reminder_days == 20
    sweep_in_the_worker(run_jobs)
    assert reminders() == 0  # 12 days late: before the first reminder now


def test_overdue_families_and_the_treasury_mark(client, unpaid, run_jobs):
    login(client, *REGISSEUR)
    html = page(client, "/admin/facturation/impayes")
    shown = words(html)
    assert "MARTIN" in shown and "9,40 €" in shown and "12 jours" in shown
    assert "BERNARD" not in shown
    invoice = invoice_of("MARTIN")
    response = client.post(f"/admin/factures/{invoice.id}/tresor-public",
                           data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert "transmis au Trésor public le" in words(page(client, "/admin/facturation/impayes"))
    sweep_in_the_worker(run_jobs)
    assert reminders() == 0  # handed over: the portal no longer reminds
    login_agent = client.application.test_client()
    login(login_agent, *unpaid.AGENT)
    assert login_agent.get("/admin/facturation/impayes").status_code == 403
