"""Pay online in Chromium, through the real HTTP flow: the basket, eopayment's dummy
backend played by the development simulator (its notification is a real HTTP POST to
the portal), the return page, the invoices paid online; staff see the transaction."""
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import OnlineTransaction, Payment
from models.billing import issue_invoices
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of
from tests.e2e.conftest import fill_login
from tests.test_online_payment import CANTEEN, JANUARY, today

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_invoices(demo):
    for day in days_of(CANTEEN, 3, JANUARY):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], JANUARY, today())
    for day in days_of(CANTEEN, 4):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    return demo


def choose_both_and_go(phone):
    phone.get_by_role("link", name="Espace facturation").click()
    phone.get_by_role("link", name="Payer en ligne").click()
    for invoice in (invoice_of("MARTIN", JANUARY), invoice_of("MARTIN")):
        phone.get_by_label(f"Facture {invoice.number}", exact=False).check()
    phone.get_by_role("button", name="Voir le total").click()
    expect(phone.locator(".basket-total")).to_have_text("Total à payer : 16,45\u00a0€")
    phone.get_by_role("button", name="Payer 16,45\u00a0€").click()
    expect(phone.get_by_role("heading", name="Simulateur de paiement")).to_be_visible()
    expect(phone.locator(".simulator-amount")).to_have_text("16.45 €")


def test_a_parent_pays_two_invoices_on_a_phone(phone, desktop, two_invoices):
    fill_login(phone, *two_invoices.PARENT)
    choose_both_and_go(phone)
    phone.get_by_role("button", name="Payer", exact=True).click()

    expect(phone.get_by_text("Paiement accepté")).to_be_visible()
    db.session.rollback()  # see what the portal committed
    reference = db.session.scalar(select(OnlineTransaction.reference))
    expect(phone.locator(".online-reference")).to_have_text(reference)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("link", name="Espace facturation").first.click()
    expect(phone.get_by_text(f"payée en ligne (réf. {reference})")).to_have_count(2)
    db.session.rollback()
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.method, payment.amount) == ("online", Decimal("16.45"))

    fill_login(desktop, *two_invoices.AGENT)
    desktop.goto("/admin/paiement-en-ligne")
    row = desktop.locator("tr", has_text=reference)
    expect(row).to_contain_text("MARTIN")
    expect(row).to_contain_text("payée")


@pytest.mark.parametrize(("button", "shown"), [("Refuser le paiement", "Paiement refusé"),
                                               ("Abandonner", "Paiement annulé")])
def test_a_refused_or_abandoned_payment_says_so(phone, two_invoices, button, shown):
    fill_login(phone, *two_invoices.PARENT)
    choose_both_and_go(phone)
    phone.get_by_role("button", name=button).click()
    expect(phone.get_by_text(shown)).to_be_visible()
    expect(phone.get_by_role("link", name="Réessayer")).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(select(Payment)).all() == []


def test_the_return_page_waits_for_the_notification_then_says_paid(phone, live_server,
                                                                   two_invoices):
    """The browser back before the backend's notification: the page says it waits, and
    turns to paid by itself once the notification comes."""
    from urllib.parse import parse_qs, urlencode, urlsplit
    from urllib.request import urlopen

    from models.online_payment import simulator_fields

    fill_login(phone, *two_invoices.PARENT)
    choose_both_and_go(phone)
    query = {k: v[0] for k, v in parse_qs(urlsplit(phone.url).query).items()}
    phone.goto(urlsplit(query["return_url"]).path)
    expect(phone.get_by_text("En attente de confirmation")).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(select(Payment)).all() == []

    fields = simulator_fields("tests-only-secret-key", query["transaction_id"],
                              query["amount"], "ok")
    with urlopen(f"{live_server}/paiement-en-ligne/notification",  # noqa: S310
                 data=urlencode(fields).encode(), timeout=30) as answer:
        assert answer.status == 200
    expect(phone.get_by_text("Paiement accepté")).to_be_visible()
    db.session.rollback()
    assert len(db.session.scalars(select(Payment)).all()) == 1


def test_the_browser_may_post_the_form_to_a_card_processor(phone, live_server, two_invoices):
    """SystemPay's page posts a form to the bank's origin: the page's CSP allows that
    origin in form-action (here the same server under another name, localhost)."""
    import json
    from urllib.parse import urlsplit

    from models import PaymentSettings
    from models.online_payment import SYSTEMPAY

    bank = f"http://localhost:{urlsplit(live_server).port}"
    settings = PaymentSettings.current()
    settings.update(SYSTEMPAY, {"vads_site_id": "12345678", "vads_ctx_mode": "TEST",
                                "secret_test": "1122334455667788"}, "tests-only-secret-key",
                    enabled=True, minimum_amount=Decimal("1.00"), partial_allowed=False)
    # The bank's page, played by a portal URL that takes a POST without a CSRF token.
    settings.parameters = json.dumps({**settings.public_parameters(),
                                      "service_url": f"{bank}/paiement-en-ligne/X/retour"})
    db.session.commit()

    fill_login(phone, *two_invoices.PARENT)
    phone.get_by_role("link", name="Espace facturation").click()
    phone.get_by_role("link", name="Payer en ligne").click()
    phone.get_by_label(f"Facture {invoice_of('MARTIN').number}", exact=False).check()
    phone.get_by_role("button", name="Voir le total").click()
    phone.get_by_role("button", name="Payer 9,40\u00a0€").click()
    phone.get_by_role("button", name="Continuer vers le paiement").click()
    phone.wait_for_url(f"{bank}/**")
