"""What the portal asks PayFiP and SystemPay through eopayment, checked against the
fields their documentation requires, and how their notifications are verified.

Nothing leaves the machine: PayFiP's SOAP calls go through zeep with a transport that
keeps the envelope and answers as the DGFiP's web service does; SystemPay needs no
call (a signed form, a signed notification)."""
import hashlib
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests
import zeep
from eopayment.payfip_ws import PayFiP
from lxml import etree
from sqlalchemy import select

from extensions import db
from models import OnlineTransaction, Payment, PaymentSettings
from models.clock import paris_today, to_paris, utcnow
from models.online_payment import (
    PAYFIP,
    SYSTEMPAY,
    OnlinePaymentError,
    backend_for,
    build_basket,
    handle_notification,
    request_payment,
    start_transaction,
)
from tests.billing_helpers import family, invoice_of
from tests.test_online_payment import JANUARY, two_invoices  # noqa: F401 - the fixture

SECRET = "tests-only-secret-key"
RETURN = "http://localhost/paiement-en-ligne/{}/retour"
NOTIFY = "http://localhost/paiement-en-ligne/notification"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = ("http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
              "contrat_paiement_securise/PaiementSecuriseService")


class DgfipTransport(zeep.Transport):
    """zeep's HTTP transport, except that posts are kept and answered here."""

    def __init__(self, *answers):
        super().__init__()
        self.sent = []
        self.answers = list(answers)

    def post(self, address, message, headers):
        self.sent.append((address, etree.fromstring(message)))
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response._content = self.answers.pop(0).encode()
        return response


def soap_answer(operation, **fields):
    inner = "".join(f"<{key}>{value}</{key}>" for key, value in fields.items())
    return (f'<S:Envelope xmlns:S="{SOAP}"><S:Body><ns2:{operation}Response '
            f'xmlns:ns2="{SERVICE_NS}"><return>{inner}</return></ns2:{operation}Response>'
            "</S:Body></S:Envelope>")


def sent_fields(envelope):
    arg = envelope.find(f".//{{{SOAP}}}Body")[0].find("arg0")
    return {child.tag: child.text for child in arg}


def configure(backend, values):
    settings = PaymentSettings.current()
    settings.update(backend, values, SECRET, enabled=True, minimum_amount=Decimal("1.00"),
                    partial_allowed=False)
    db.session.commit()
    return settings


def new_transaction(settings, *invoices):
    martin = family("MARTIN")
    parent = martin.guardians[0].user
    basket, total = build_basket(martin.id, {i.id: None for i in invoices}, settings)
    return start_transaction(martin, parent, basket, total, settings.backend)


def eopayment_backend(settings, transaction):
    return backend_for(settings, SECRET, RETURN.format(transaction.reference), NOTIFY)


# -- PayFiP --------------------------------------------------------------------------------

@pytest.fixture
def payfip(request, app):
    request.getfixturevalue("two_invoices")
    settings = configure(PAYFIP, {"numcli": "123456", "saisie": "T"})
    transaction = new_transaction(settings, invoice_of("MARTIN", JANUARY), invoice_of("MARTIN"))
    backend = eopayment_backend(settings, transaction)
    return settings, transaction, backend


def test_the_payfip_request_has_what_the_dgfip_requires(payfip):
    _settings, transaction, backend = payfip
    transport = DgfipTransport(soap_answer("creerPaiementSecurise", idOp="ID0P42"))
    backend.backend.payfip = PayFiP(zeep_client_kwargs={"transport": transport})

    kind, url = request_payment(backend, transaction, "Portail Famille, factures 1 et 2")

    assert url == "https://www.payfip.gouv.fr/tpa/paiementws.web?idop=ID0P42"
    assert transaction.backend_transaction_id == "ID0P42"
    [(address, envelope)] = transport.sent
    assert address.startswith("https://www.payfip.gouv.fr/")
    fields = sent_fields(envelope)
    assert fields["numcli"] == "123456"            # the régie's client number
    assert fields["saisie"] == "T"                 # test mode
    assert fields["exer"] == str(paris_today().year)
    assert fields["montant"] == "1645"             # 16.45 € in cents
    assert fields["refdet"] == transaction.reference
    assert 6 <= len(transaction.reference) <= 30 and transaction.reference.isalnum()
    assert fields["mel"] == "parent@example.org"
    assert fields["urlnotif"] == NOTIFY
    assert fields["urlredirect"] == RETURN.format(transaction.reference)
    assert fields["objet"] == "Portail Famille factures 1 et 2"  # [A-Za-z0-9 ] only


def payfip_detail(transaction, result="P", amount="1645", refdet=None):
    paid_at = to_paris(utcnow()) - timedelta(hours=1)  # Paris time, as PayFiP gives it
    return soap_answer("recupererDetailPaiementSecurise", dattrans=f"{paid_at:%d%m%Y}",
                       exer=str(paid_at.year), heurtrans=f"{paid_at:%H%M}", idOp="ID0P42",
                       mel=transaction.email,
                       montant=amount, numauto="112233", numcli="123456", objet="",
                       refdet=refdet or transaction.reference, resultrans=result, saisie="T")


@pytest.mark.parametrize(("result", "state"), [("P", "paid"), ("R", "refused"),
                                               ("A", "cancelled")])
def test_a_payfip_notification_is_checked_with_the_web_service(payfip, result, state):
    _settings, transaction, backend = payfip
    transaction.backend_transaction_id = "ID0P42"
    db.session.commit()
    transport = DgfipTransport(payfip_detail(transaction, result))
    backend.backend.payfip = PayFiP(zeep_client_kwargs={"transport": transport})
    # A cancellation is only believed once the idop is some minutes old (eopayment).
    backend.backend.CANCELLED_WAITING_IN_MINUTES = 0

    # PayFiP posts idOp=…; eopayment's response() reads idop: the portal accepts both.
    found, _response, _paid_now = handle_notification(backend, PAYFIP, "idOp=ID0P42",
                                                      SECRET)
    db.session.commit()

    assert sent_fields(transport.sent[0][1]) == {"idOp": "ID0P42"}
    assert found.state == state
    payments = db.session.scalars(select(Payment)).all()
    assert [(p.method, p.amount) for p in payments] == (
        [("online", Decimal("16.45"))] if state == "paid" else [])


@pytest.mark.parametrize("detail", [{"amount": "100"}, {"refdet": "PF20260101OTHER123"}])
def test_a_payfip_notification_with_another_amount_or_reference_is_refused(payfip, detail):
    _settings, transaction, backend = payfip
    transaction.backend_transaction_id = "ID0P42"
    db.session.commit()
    transport = DgfipTransport(payfip_detail(transaction, **detail))
    backend.backend.payfip = PayFiP(zeep_client_kwargs={"transport": transport})
    with pytest.raises(OnlinePaymentError):
        handle_notification(backend, PAYFIP, "idop=ID0P42", SECRET)
    db.session.rollback()
    assert db.session.scalars(select(Payment)).all() == []


# -- SystemPay -----------------------------------------------------------------------------

SITE_ID = "12345678"
CERTIFICATE = "1122334455667788"


def bank_signature(fields):
    """SystemPay's documented signature: the vads_* values sorted by name, joined with
    '+', then '+' and the certificate, hashed with SHA-1."""
    values = [fields[name] for name in sorted(fields) if name.startswith("vads_")]
    return hashlib.sha1("+".join([*values, CERTIFICATE]).encode()).hexdigest()


@pytest.fixture
def systempay(request, app):
    request.getfixturevalue("two_invoices")
    settings = configure(SYSTEMPAY, {"vads_site_id": SITE_ID, "vads_ctx_mode": "TEST",
                                     "signature_algo": "sha1", "secret_test": CERTIFICATE})
    transaction = new_transaction(settings, invoice_of("MARTIN"))
    backend = eopayment_backend(settings, transaction)
    return settings, transaction, backend


def test_the_systempay_form_has_what_the_bank_requires(systempay):
    _settings, transaction, backend = systempay
    kind, form = request_payment(backend, transaction, "Factures")
    fields = {field["name"]: field["value"] for field in form.fields}
    assert form.url == "https://paiement.systempay.fr/vads-payment/" and form.method == "POST"
    assert fields["vads_amount"] == "940"          # 9.40 € in cents
    assert fields["vads_currency"] == "978"        # euro, ISO 4217
    assert fields["vads_site_id"] == SITE_ID
    assert fields["vads_ctx_mode"] == "TEST"
    assert fields["vads_order_id"] == transaction.reference
    assert len(fields["vads_trans_id"]) == 6 and fields["vads_trans_id"].isalnum()
    assert len(fields["vads_trans_date"]) == 14 and fields["vads_trans_date"].isdigit()
    assert fields["vads_url_return"] == RETURN.format(transaction.reference)
    assert fields["vads_url_check"] == NOTIFY
    assert fields["vads_cust_email"] == "parent@example.org"
    assert fields["vads_order_info"] == "Factures"
    assert all(name.startswith("vads_") for name in fields if name != "signature")
    assert fields["signature"] == bank_signature(fields)


def systempay_notification(transaction, amount="940", result="00", order_id=None):
    fields = {"vads_ctx_mode": "TEST", "vads_site_id": SITE_ID, "vads_amount": amount,
              "vads_currency": "978", "vads_trans_id": "a1B2c3",
              "vads_trans_date": "20261201101500", "vads_result": result,
              "vads_auth_result": result, "vads_extra_result": "",
              "vads_auth_number": "3fe5a1", "vads_order_id": order_id or transaction.reference,
              "vads_ext_info_eopayment_trans_id": transaction.reference}
    fields["signature"] = bank_signature(fields)
    return fields


def post_notification(client, fields):
    return client.post("/paiement-en-ligne/notification", data=urlencode(fields),
                       content_type="application/x-www-form-urlencoded")


def test_a_signed_systempay_notification_records_the_payment(systempay, client):
    _settings, transaction, backend = systempay
    request_payment(backend, transaction, "Factures")
    db.session.commit()
    fields = systempay_notification(transaction)
    assert post_notification(client, fields).status_code == 200
    assert post_notification(client, fields).status_code == 200
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.method, payment.amount, payment.reference) == (
        "online", Decimal("9.40"), transaction.reference)
    assert invoice_of("MARTIN").balance == 0


@pytest.mark.parametrize("change", ["amount edited", "signed with another key",
                                    "another amount, signed", "another reference, signed"])
def test_a_systempay_notification_not_matching_is_refused(systempay, client, change):
    _settings, transaction, backend = systempay
    request_payment(backend, transaction, "Factures")
    db.session.commit()
    if change == "amount edited":
        fields = systempay_notification(transaction)
        fields["vads_amount"] = "1"
    elif change == "signed with another key":
        fields = systempay_notification(transaction)
        fields["signature"] = hashlib.sha1(b"forged").hexdigest()
    elif change == "another amount, signed":
        fields = systempay_notification(transaction, amount="100")
    else:
        fields = systempay_notification(transaction, order_id="PF20260101OTHER123")
    assert post_notification(client, fields).status_code == 400
    assert db.session.scalars(select(Payment)).all() == []
    row = db.session.scalar(select(OnlineTransaction).execution_options(
        populate_existing=True))
    assert row.state == "created"


def test_a_payfip_payment_whose_notification_was_lost_is_found_by_the_sweep(payfip):
    from jobs.online_payments import recheck_waiting

    _settings, transaction, backend = payfip
    transaction.backend_transaction_id = "ID0P42"
    transaction.created_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    transport = DgfipTransport(payfip_detail(transaction))
    backend.backend.payfip = PayFiP(zeep_client_kwargs={"transport": transport})

    assert recheck_waiting(utcnow(), backend) == 1
    assert sent_fields(transport.sent[0][1]) == {"idOp": "ID0P42"}
    row = db.session.scalar(select(OnlineTransaction).execution_options(
        populate_existing=True))
    assert row.state == "paid"
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.method, payment.amount) == ("online", Decimal("16.45"))
    assert recheck_waiting(utcnow(), backend) == 0  # paid: not asked again


def test_a_payfip_idop_still_unpaid_after_two_hours_is_expired(payfip):
    from jobs.online_payments import recheck_waiting

    _settings, transaction, backend = payfip
    transaction.backend_transaction_id = "ID0P42"
    transaction.created_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    # PayFiP answers P5 (no payment for this idop) as a SOAP fault.
    fault = (f'<S:Envelope xmlns:S="{SOAP}"><S:Body><S:Fault><faultcode>S:Server</faultcode>'
             "<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
             f'</faultstring><detail><ns2:FonctionnelleErreur xmlns:ns2="{SERVICE_NS}">'
             "<code>P5</code><descriptif>Résultat de la transaction non connu</descriptif>"
             "</ns2:FonctionnelleErreur></detail></S:Fault></S:Body></S:Envelope>")
    transport = DgfipTransport(fault)
    backend.backend.payfip = PayFiP(zeep_client_kwargs={"transport": transport})
    assert recheck_waiting(utcnow(), backend) == 1
    row = db.session.scalar(select(OnlineTransaction).execution_options(
        populate_existing=True))
    assert row.state == "expired"
    assert db.session.scalars(select(Payment)).all() == []


def test_the_basket_page_lets_its_form_go_to_payfip_and_nowhere_else(payfip, client):
    """Sending the browser to PayFiP answers the basket's form with a redirect, which
    CSP form-action governs too."""
    from demo import PARENT
    from tests.helpers import login

    login(client, *PARENT)
    policy = client.get("/facturation/paiement-en-ligne").headers["Content-Security-Policy"]
    assert "form-action 'self' https://www.payfip.gouv.fr;" in policy
    assert "script-src 'self'" in policy
