"""Pay online (issue 16): the basket, the trip to the backend, the notification that
records one payment however often it comes, forged and mismatching notifications, the
return page, the expiry sweep, the admin settings (secrets masked, sealed, not
exported) and the staff list. The dummy backend is played by the test client here;
tests/e2e/test_online_payment_browser.py goes through the simulator in Chromium."""
import html
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from demo import PARENT
from extensions import db
from models import (
    AuditEvent,
    OnlineTransaction,
    OutboundEmail,
    Payment,
    PaymentAllocation,
    PaymentSettings,
)
from models.billing import issue_invoices
from models.clock import to_paris, utcnow
from models.online_payment import DUMMY, SYSTEMPAY, simulator_fields, unseal
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, plain, words
from tests.helpers import at_once, csrf_from, login, other_family_parent, text_of

CANTEEN = "Restauration scolaire"
JANUARY = date(2026, 1, 1)
SECRET = "tests-only-secret-key"
BASKET = "/facturation/paiement-en-ligne"
NOTIFY = "/paiement-en-ligne/notification"


def seen(response):
    """The page's text as read, entities decoded ("n'est" rendered n&#39;est)."""
    return html.unescape(words(response.get_data(as_text=True)))


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def two_invoices(demo):
    """MARTIN: January 2026, 3 canteen days (7.05 €), March 2026, 4 days (9.40 €)."""
    for day in days_of(CANTEEN, 3, JANUARY):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], JANUARY, today())
    for day in days_of(CANTEEN, 4):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    assert invoice_of("MARTIN", JANUARY).total == Decimal("7.05")
    assert invoice_of("MARTIN").total == Decimal("9.40")
    return demo


@pytest.fixture
def parent(client, two_invoices):
    assert login(client, *two_invoices.PARENT).status_code == 302
    return client


def basket_token(client):
    return csrf_from(client.get(BASKET).get_data(as_text=True))


def pay(client, *invoices, amounts=None):
    """Check the invoices, see the total, pay: the response sending the browser away."""
    token = basket_token(client)
    data = {"csrf_token": token, "invoice": [str(i.id) for i in invoices]}
    for invoice, amount in (amounts or {}).items():
        data[f"amount-{invoice.id}"] = amount
    review = client.post(BASKET, data={**data, "step": "review"})
    assert review.status_code == 200, review.get_data(as_text=True)
    return review, client.post(BASKET, data={**data, "step": "pay"})


def simulator_query(response):
    """The query the dummy backend gave, on the simulator's page."""
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/dev/paiement/"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def back_to_portal(client, query, **kwargs):
    """The browser sent back by the backend to the return URL (then to the page)."""
    return client.get(urlsplit(query["return_url"]).path, follow_redirects=True, **kwargs)


def notification(query, outcome="ok", amount=None):
    return simulator_fields(SECRET, query["transaction_id"],
                            query["amount"] if amount is None else amount, outcome)


def notify(client, fields):
    return client.post(NOTIFY, data=urlencode(fields),
                       content_type="application/x-www-form-urlencoded")


def transaction():
    return db.session.scalar(select(OnlineTransaction).execution_options(
        populate_existing=True))


def payments():
    return db.session.scalars(select(Payment).execution_options(populate_existing=True)).all()


def test_a_parent_pays_two_invoices_in_one_basket(parent, app, mailbox, run_jobs):
    january, march = invoice_of("MARTIN", JANUARY), invoice_of("MARTIN")
    page = words(parent.get("/facturation/").get_data(as_text=True))
    assert "Payer en ligne" in page
    review, sent = pay(parent, january, march)
    assert "Total à payer : 16,45 €" in words(review.get_data(as_text=True))
    query = simulator_query(sent)
    row = transaction()
    # What the dummy backend was asked: the total, our reference, URLs from PUBLIC_URL.
    assert query["amount"] == "16.45"
    assert query["orderid"] == row.reference
    assert query["return_url"] == (
        f"http://localhost/paiement-en-ligne/{row.reference}/retour")
    assert query["direct_notification_url"] == "http://localhost/paiement-en-ligne/notification"
    assert row.state == "created" and row.total == Decimal("16.45")

    answer = notify(parent, notification(query))
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "signature ok"

    back = words(back_to_portal(parent, query).get_data(as_text=True))
    assert "Paiement accepté" in back and "16,45 €" in back and row.reference in back
    [payment] = payments()
    assert (payment.method, payment.amount, payment.reference) == (
        "online", Decimal("16.45"), row.reference)
    shares = {a.invoice_id: a.amount for a in db.session.scalars(select(PaymentAllocation))}
    assert shares == {january.id: Decimal("7.05"), march.id: Decimal("9.40")}
    assert invoice_of("MARTIN", JANUARY).balance == 0 and invoice_of("MARTIN").balance == 0
    index = words(parent.get("/facturation/").get_data(as_text=True))
    assert f"payée en ligne (réf. {row.reference})" in index
    assert "Paiement en ligne" in index  # the payment's method, in the list of payments
    invoice_page = words(parent.get(f"/facturation/{march.id}").get_data(as_text=True))
    assert "payée en ligne" in invoice_page and row.reference in invoice_page

    run_jobs()
    receipt = text_of(mailbox.wait_for(PARENT[0], "Reçu de votre paiement en ligne"))
    assert "16,45 €" in plain(receipt) and row.reference in receipt
    assert january.number in receipt and march.number in receipt


def test_the_same_notification_twice_makes_one_payment_and_one_receipt(parent):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    fields = notification(simulator_query(sent))
    assert notify(parent, fields).status_code == 200
    assert notify(parent, fields).status_code == 200
    assert len(payments()) == 1
    assert db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "online_payment_receipt")) == 1
    assert invoice_of("MARTIN").amount_paid == Decimal("9.40")


def test_two_notifications_at_once_make_one_payment(parent, app):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    fields = notification(simulator_query(sent))
    first, second = app.test_client(), app.test_client()
    results = at_once(lambda: notify(first, fields).status_code,
                      lambda: notify(second, fields).status_code)
    assert results == [200, 200]
    assert len(payments()) == 1
    assert invoice_of("MARTIN").amount_paid == Decimal("9.40")


@pytest.mark.parametrize("forge", ["no signature", "wrong signature", "other outcome"])
def test_a_forged_notification_changes_nothing(parent, forge):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    query = simulator_query(sent)
    fields = notification(query)
    if forge == "no signature":
        del fields["portal_signature"]
    elif forge == "wrong signature":
        fields["portal_signature"] = "0" * 64
    else:  # a refusal's signature on a payment
        fields["portal_signature"] = notification(query, "refused")["portal_signature"]
    assert notify(parent, fields).status_code == 400
    assert payments() == [] and transaction().state == "created"
    page = words(parent.get(f"{BASKET}/{transaction().reference}").get_data(as_text=True))
    assert "En attente de confirmation" in page


def test_a_notification_whose_amount_does_not_match_is_refused(parent):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    query = simulator_query(sent)
    assert notify(parent, notification(query, amount="0.01")).status_code == 400
    assert payments() == [] and transaction().state == "created"
    assert invoice_of("MARTIN").amount_paid == 0


def test_a_notification_for_an_unknown_transaction_is_refused(parent):
    fields = simulator_fields(SECRET, "0123456789abcdef", "9.40", "ok")
    assert notify(parent, fields).status_code == 400
    assert payments() == []


def test_the_return_without_notification_waits_and_records_nothing(parent):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    query = simulator_query(sent)
    page = back_to_portal(parent, query)
    assert "En attente de confirmation" in words(page.get_data(as_text=True))
    assert payments() == []
    # The notification coming after the browser: the page then says paid.
    assert notify(parent, notification(query)).status_code == 200
    page = back_to_portal(parent, query, headers={"HX-Request": "true"})
    assert "Paiement accepté" in words(page.get_data(as_text=True))
    assert len(payments()) == 1


@pytest.mark.parametrize(("outcome", "shown"), [("refused", "Paiement refusé"),
                                                ("cancelled", "Paiement annulé")])
def test_a_refused_or_abandoned_payment_records_nothing(parent, outcome, shown):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    query = simulator_query(sent)
    assert notify(parent, notification(query, outcome)).status_code == 200
    assert transaction().state == outcome
    assert payments() == []
    page = words(back_to_portal(parent, query).get_data(as_text=True))
    assert shown in page and "Réessayer" in page


def test_partial_payment_only_when_the_town_allows_it(parent):
    march = invoice_of("MARTIN")
    review, _sent = pay(parent, march, amounts={march: "5,00"})
    assert "Total à payer : 5,00 €" in words(review.get_data(as_text=True))
    settings = PaymentSettings.current()
    settings.partial_allowed = False
    db.session.commit()
    review, sent = pay(parent, march, amounts={march: "5,00"})
    assert "Total à payer : 9,40 €" in words(review.get_data(as_text=True))
    assert simulator_query(sent)["amount"] == "9.40"


@pytest.mark.parametrize(("typed", "message"), [
    ("12,00", "au plus ce qu'il reste à payer"), ("0", "doit être positif"),
    ("douze", "Écrivez un montant en euros"), ("0,50", "commence à 1,00 €")])
def test_odd_amounts_get_a_french_message(parent, typed, message):
    march = invoice_of("MARTIN")
    token = basket_token(parent)
    answer = parent.post(BASKET, data={"csrf_token": token, "invoice": str(march.id),
                                       f"amount-{march.id}": typed, "step": "pay"})
    assert answer.status_code == 422
    assert message in seen(answer)
    assert db.session.scalar(select(func.count(OnlineTransaction.id))) == 0


def test_an_empty_basket_or_another_familys_invoice_is_refused(parent, client):
    token = basket_token(parent)
    answer = parent.post(BASKET, data={"csrf_token": token, "step": "review"})
    assert answer.status_code == 422
    assert "Choisissez au moins une facture" in seen(answer)
    for day in days_of(CANTEEN, 2):
        book("Jules", CANTEEN, day)
    issue_invoices([family("BERNARD").id], MONTH, today())
    db.session.commit()
    answer = parent.post(BASKET, data={"csrf_token": token, "step": "pay",
                                       "invoice": str(invoice_of("BERNARD").id)})
    assert answer.status_code == 422
    assert "n'est plus à payer" in seen(answer)


def test_another_family_cannot_see_the_return_page(parent, app):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    other = other_family_parent(app.test_client())
    assert back_to_portal(other, simulator_query(sent)).status_code == 404


def test_a_return_by_post_without_session_is_turned_into_a_get(parent, app):
    """A cross-site POST carries no SameSite=Lax cookie: a 303 makes it a GET."""
    _review, sent = pay(parent, invoice_of("MARTIN"))
    path = urlsplit(simulator_query(sent)["return_url"]).path
    answer = app.test_client().post(path, data={"idOp": "whatever"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"{BASKET}/{transaction().reference}")


def test_the_basket_needs_the_csrf_token(parent):
    answer = parent.post(BASKET, data={"invoice": str(invoice_of("MARTIN").id),
                                       "step": "pay"})
    assert answer.status_code == 400
    assert db.session.scalar(select(func.count(OnlineTransaction.id))) == 0


def test_no_online_payment_while_it_is_off(parent):
    settings = PaymentSettings.current()
    settings.enabled = False
    db.session.commit()
    assert "Payer en ligne" not in parent.get("/facturation/").get_data(as_text=True)
    assert parent.get(BASKET).status_code == 404


def test_the_sweep_marks_never_notified_transactions_expired(parent, run_jobs):
    from jobs.sweep import sweep

    _review, sent = pay(parent, invoice_of("MARTIN"))
    old_query = simulator_query(sent)
    old = transaction()
    old.created_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    _review, sent = pay(parent, invoice_of("MARTIN"))  # a fresh one: left waiting
    result = sweep()
    assert result["expire_online_transactions"] == 1
    states = dict(db.session.execute(select(OnlineTransaction.reference,
                                            OnlineTransaction.state)).all())
    assert sorted(states.values()) == ["created", "expired"]
    assert states[old.reference] == "expired"
    page = words(back_to_portal(parent, old_query).get_data(as_text=True))
    assert "Paiement expiré" in page
    # A payment notified after all is recorded: the money was taken.
    assert notify(parent, notification(old_query)).status_code == 200
    assert len(payments()) == 1


# -- Staff ---------------------------------------------------------------------------------

def test_staff_see_online_transactions_with_their_state(parent, app, two_invoices):
    _review, sent = pay(parent, invoice_of("MARTIN"))
    notify(parent, notification(simulator_query(sent)))
    agent = app.test_client()
    login(agent, *two_invoices.AGENT)
    page = words(agent.get("/admin/paiement-en-ligne").get_data(as_text=True))
    assert transaction().reference in page and "MARTIN" in page and "payée" in page
    assert "9,40 €" in page
    assert "Payée 1 transaction · 9,40 €" in page  # the summary by state
    assert agent.get("/admin/paiement-en-ligne/reglages").status_code == 403


def test_admin_sets_systempay_and_its_secrets_are_never_shown_back(client, two_invoices):
    login(client, *two_invoices.ADMIN)
    url = "/admin/paiement-en-ligne/reglages"
    token = csrf_from(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "enabled": "y", "backend": SYSTEMPAY,
            "minimum_amount": "2,00", "systempayv2__vads_site_id": "12345678",
            "systempayv2__vads_ctx_mode": "TEST", "systempayv2__signature_algo": "sha1",
            "systempayv2__secret_test": "TESTSECRET1234567",
            "systempayv2__secret_production": "PRODSECRET7654321"}
    assert client.post(url, data=data).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "TESTSECRET1234567" not in page and "PRODSECRET7654321" not in page
    assert "Enregistrée (••••••)" in page and 'value="12345678"' in page
    assert "http://localhost/paiement-en-ligne/notification" in page  # from PUBLIC_URL
    settings = PaymentSettings.current()
    # Sealed in the database: a dump does not hold them; the export leaves them out.
    assert "TESTSECRET" not in settings.sealed_secrets + settings.parameters
    assert "secret" not in str(settings.export()).lower()
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "online_payment.settings_saved")).all()
    assert event.details["backend"] == SYSTEMPAY and "SECRET" not in str(event.details)
    assert settings.minimum_amount == Decimal("2.00")
    # Saving again with the secret fields blank keeps them.
    data.update(systempayv2__secret_test="", systempayv2__secret_production="",
                csrf_token=csrf_from(page))
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert unseal(PaymentSettings.current().sealed_secrets, SECRET) == {
        "secret_test": "TESTSECRET1234567", "secret_production": "PRODSECRET7654321"}


def test_admin_settings_refuse_what_eopayment_refuses(client, two_invoices):
    login(client, *two_invoices.ADMIN)
    url = "/admin/paiement-en-ligne/reglages"
    token = csrf_from(client.get(url).get_data(as_text=True))
    answer = client.post(url, data={"csrf_token": token, "backend": "payfip_ws",
                                    "minimum_amount": "1", "payfip_ws__numcli": "12ab"})
    assert answer.status_code == 422
    assert "Paramètres invalides" in seen(answer)
    assert PaymentSettings.current().backend == DUMMY


def test_the_simulator_never_exists_in_production(tmp_path):
    import config

    values = config.load(str(tmp_path), {"PORTAIL_ENV": "production", "SECRET_KEY": "x",
                                         "SUBSCRIBER_CODE_KEY": "y"})
    assert values["PAYMENT_SIMULATOR"] is False
    assert config.load(str(tmp_path), {"PORTAIL_ENV": "testing"})["PAYMENT_SIMULATOR"]


def test_staff_see_an_online_payment_on_the_invoice_and_cannot_type_one_in(parent, app,
                                                                          two_invoices):
    march = invoice_of("MARTIN")
    _review, sent = pay(parent, march)
    notify(parent, notification(simulator_query(sent)))
    agent = app.test_client()
    login(agent, *two_invoices.REGISSEUR)  # the régie records payments
    page = agent.get(f"/admin/factures/{march.id}").get_data(as_text=True)
    assert f"Paiement en ligne · {transaction().reference} · 9,40" in plain(words(page))
    # The payment form offers what staff hand in, never "online".
    assert 'value="online"' not in page
    assert 'value="cheque"' in page


def test_admin_settings_ask_for_what_a_backend_needs(client, two_invoices):
    login(client, *two_invoices.ADMIN)
    url = "/admin/paiement-en-ligne/reglages"
    token = csrf_from(client.get(url).get_data(as_text=True))
    answer = client.post(url, data={"csrf_token": token, "backend": SYSTEMPAY,
                                    "minimum_amount": "1", "enabled": "y",
                                    "systempayv2__vads_site_id": "12345678"})
    assert answer.status_code == 422
    assert "À renseigner : Clé de TEST." in seen(answer)
    assert PaymentSettings.current().backend == DUMMY
