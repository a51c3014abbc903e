"""Billing in the browser: the invoicing run's progress updates itself (htmx polling,
a real rq worker), a certificate is recorded with one tap, and a parent reads the
Espace facturation on a phone."""
import pytest
from playwright.sync_api import expect

from models.clock import paris_today
from tests.billing_helpers import MONTH, book, days_of, mark
from tests.e2e.conftest import fill_login

pytestmark = pytest.mark.e2e
CANTEEN = "Restauration scolaire"


def test_staff_invoice_a_month_and_a_parent_reads_it_on_a_phone(desktop, phone, demo,
                                                                rq_worker):
    days = days_of(CANTEEN, 3)
    for day in days:
        book("Léa", CANTEEN, day)
    mark("Léa", CANTEEN, days[0], "absent", "ill")

    fill_login(desktop, *demo.REGISSEUR)  # the régie handles money
    desktop.goto("/admin/facturation/certificats?mois=2026-03")
    desktop.evaluate("window.samePage = true")
    button = desktop.get_by_role("button", name="Certificat médical reçu")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    assert desktop.evaluate("window.samePage") is True

    desktop.goto("/admin/facturation")
    desktop.get_by_label("Mois à facturer").fill(MONTH.strftime("%Y-%m"))
    desktop.get_by_role("button", name="Lancer la facturation").click()
    desktop.evaluate("window.samePage = true")
    # The page polls its progress fragment until the worker has finished.
    expect(desktop.get_by_text("Terminé.")).to_be_visible(timeout=20_000)
    expect(desktop.get_by_text("1 facture émise")).to_be_visible()
    assert desktop.evaluate("window.samePage") is True

    fill_login(phone, *demo.PARENT)
    phone.get_by_role("link", name="Espace facturation").click()
    expect(phone.get_by_role("heading", name="Espace facturation")).to_be_visible()
    expect(phone.get_by_text("À payer", exact=True)).to_be_visible()
    phone.get_by_role("link", name="Mars 2026").click()
    expect(phone.get_by_text("Jours réservés")).to_be_visible()
    total = phone.locator(".invoice-total")
    expect(total).to_have_text("4,70\u00a0€")  # 2 days x 2.35 €: the certified one is free
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing overflows the phone's width
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Télécharger le PDF").click()
    assert download.value.suggested_filename.startswith("facture-")


def test_staff_type_a_french_amount_and_confirm_an_overpayment(desktop, demo):
    """A number field in Chromium turned '5,00' into 500 and '12,345' into 12345."""
    from decimal import Decimal

    from sqlalchemy import select

    from extensions import db
    from models import Payment
    from models.billing import issue_invoices
    from tests.billing_helpers import family

    for day in days_of(CANTEEN, 4):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], MONTH, paris_today())  # 9,40 €
    db.session.commit()
    fill_login(desktop, *demo.REGISSEUR)  # the régie handles money
    desktop.goto(f"/admin/familles/{family('MARTIN').id}/facturation")
    desktop.get_by_label("Montant reçu").fill("5,00")
    desktop.get_by_role("button", name="Enregistrer le règlement").click()
    expect(desktop.get_by_text("Règlement de 5,00\u00a0€ enregistré.")).to_be_visible()

    # (What "12,345" gets, a 422 and the form back, is in test_billing_payments.py.)
    desktop.get_by_label("Montant reçu").fill("50")
    desktop.get_by_role("button", name="Enregistrer le règlement").click()
    expect(desktop.get_by_role("alert").filter(has_text="dépasse de")).to_be_visible()
    desktop.get_by_label("Le montant est juste").check()
    desktop.get_by_role("button", name="Enregistrer le règlement").click()
    expect(desktop.get_by_text("La famille dispose d'un avoir de 45,60\u00a0€.")).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(select(Payment.amount).order_by(Payment.id)).all() == [
        Decimal("5.00"), Decimal("50.00")]
