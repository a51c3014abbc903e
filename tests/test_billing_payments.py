"""Payments (partial, overpaid, cancelled), invoice statuses, the SEPA direct-debit file,
medical certificates, a family's billing details, tariffs and rules, and who may see
what."""
import os
import re
from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import sepaxml
import xmlschema
from sqlalchemy import event, func, select

from extensions import db
from models import (
    Attendance,
    AuditEvent,
    BillingSettings,
    Invoice,
    Payment,
    QfBracket,
    Tariff,
)
from models.billing import issue_invoices
from models.clock import paris_today
from tests.billing_helpers import (
    HTMX,
    MONTH,
    book,
    days_of,
    family,
    invoice_of,
    mark,
    plain,
    words,
)
from tests.helpers import activity, body, csrf_from, login, other_family_parent, page, submit

CANTEEN = "Restauration scolaire"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


today = paris_today  # Paris time, moved by PORTAIL_TEST_TODAY


@pytest.fixture
def invoiced(demo):
    """March 2026 invoiced: MARTIN 4 canteen days x 2.35 = 9.40 €, BERNARD 2 x 1.00 €."""
    for day in days_of(CANTEEN, 4):
        book("Léa", CANTEEN, day)
    for day in days_of(CANTEEN, 2):
        book("Jules", CANTEEN, day)
    issue_invoices([family("MARTIN").id, family("BERNARD").id], MONTH, today())
    db.session.commit()
    assert invoice_of("MARTIN").total == Decimal("9.40")
    return demo


def pay(client, name, amount, method="cheque", invoice=None, reference="", confirmed=None):
    url = f"/admin/familles/{family(name).id}/facturation"
    html = page(client, url)
    data = {"csrf_token": csrf_from(html), "amount": amount, "method": method,
            "received_on": today().isoformat(), "reference": reference,
            "invoice_id": invoice.id if invoice else 0, "next": url}
    if confirmed:
        data["confirmed_amount"] = confirmed
    return client.post(f"/admin/familles/{family(name).id}/reglements", data=data)


def field_value(html, name):
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)[1]


def payments():
    return db.session.scalars(select(Payment.amount).order_by(Payment.id)).all()


def parent_page(client, demo, url="/facturation/"):
    login(client, *demo.PARENT)
    return plain(page(client, url))


def test_partial_payment_then_overpayment_carried_as_credit(client, other_client, invoiced):
    login(client, *invoiced.REGISSEUR)
    martin = invoice_of("MARTIN")
    response = pay(client, "MARTIN", "4,40", invoice=martin, reference="Chèque 1234567")
    assert response.status_code == 302
    assert invoice_of("MARTIN").amount_paid == Decimal("4.40")
    html = parent_page(other_client, invoiced)
    assert "Partiellement payée" in html and "5,00 €" in html  # left to pay
    assert "Chèque" in html and "4,40 €" in html

    # 10 € in cash: 5 € settle the invoice, 5 € are kept as credit, once confirmed.
    response = pay(client, "MARTIN", "10", method="cash", invoice=martin)
    assert response.status_code == 200 and "dépasse de 5,00 €" in plain(body(response))
    response = pay(client, "MARTIN", "10", method="cash", invoice=martin,
                   confirmed=re.search(r'name="confirmed_amount" value="([^"]+)"',
                                       body(response))[1])
    assert "La famille dispose d'un avoir de 5,00 €" in plain(body(client.get(
        response.headers["Location"])))
    assert invoice_of("MARTIN").amount_paid == Decimal("9.40")
    html = plain(page(other_client, "/facturation/"))
    assert "Payée" in html and "Avoir" in html and "5,00 €" in html
    detail = words(page(other_client, f"/facturation/{martin.id}"))
    assert "Espèces · 5,00 €" in detail and "Chèque · 4,40 €" in detail

    # April's invoice (2 days: 4.70 €) is paid out of the credit when it is issued.
    for day in days_of(CANTEEN, 2, MONTH.replace(month=4)):
        book("Léa", CANTEEN, day)
    [april] = issue_invoices([family("MARTIN").id], MONTH.replace(month=4), today())
    db.session.commit()
    assert (april.total, april.amount_paid) == (Decimal("4.70"), Decimal("4.70"))
    html = plain(page(other_client, "/facturation/"))
    assert "Avoir" in html and "0,30 €" in html
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.family_id == family("MARTIN").id)).all()
    assert actions.count("payment.recorded") == 2


def test_a_cancelled_payment_makes_the_invoice_due_again(client, invoiced):
    login(client, *invoiced.REGISSEUR)
    martin = invoice_of("MARTIN")
    pay(client, "MARTIN", "9,40", invoice=martin)
    payment = db.session.scalar(select(Payment))
    html = page(client, f"/admin/factures/{martin.id}")
    assert "Payée" in html
    # Cancelling asks why, on a page of its own, and a confirmation.
    url = f"/admin/reglements/{payment.id}/annuler"
    assert f'href="{url}?next=/admin/factures/{martin.id}"' in html
    form = page(client, f"{url}?next=/admin/factures/{martin.id}")
    refused = client.post(url, data={"csrf_token": csrf_from(form),
                                     "next": f"/admin/factures/{martin.id}"})
    assert refused.status_code == 422
    assert "Indiquez le motif." in body(refused) and "Cochez la case pour confirmer." in body(
        refused)
    assert invoice_of("MARTIN").amount_paid == Decimal("9.40")
    response = client.post(url, data={"csrf_token": csrf_from(form), "reason": "Chèque rejeté",
                                      "confirm": "y", "next": f"/admin/factures/{martin.id}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/factures/{martin.id}"
    assert invoice_of("MARTIN").amount_paid == Decimal("0.00")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.cancelled"))
    assert event.details["reason"] == "Chèque rejeté" and event.actor.email == "regie@example.org"
    admin = client.application.test_client()
    login(admin, *invoiced.ADMIN)
    log = words(page(admin, "/admin/journal"))
    assert "Règlement annulé" in log and "9,40 € · motif : Chèque rejeté" in log
    assert "Claire ROUX" in log
    html = page(client, f"/admin/factures/{martin.id}")
    assert "annulé" in html and "À payer" in html


def test_late_status_after_the_due_date(client, other_client, invoiced):
    martin = invoice_of("MARTIN")
    martin.due_on = today() - timedelta(days=1)
    db.session.commit()
    html = parent_page(other_client, invoiced)
    assert "En retard" in html
    login(client, *invoiced.REGISSEUR)
    assert "1</span> <span class=\"stat__label\">facture en retard" in page(client, "/admin/")
    listed = page(client, "/admin/factures?statut=late")
    assert martin.number in listed and invoice_of("BERNARD").number not in listed


def test_payment_amount_must_be_a_positive_amount_in_euros(client, invoiced):
    login(client, *invoiced.REGISSEUR)
    for amount, message in (("abc", "au plus deux chiffres après la virgule"),
                            ("-3", "Saisissez un montant positif"),
                            ("0", "Saisissez un montant positif"),
                            ("12 50", "au plus deux chiffres après la virgule"),
                            ("", "Ce champ est obligatoire")):
        response = pay(client, "MARTIN", amount)
        assert response.status_code == 422, amount
        html = plain(body(response))
        assert message in html and "n'a pas été enregistré" in html, amount
        assert field_value(html, "amount") == amount  # shown back as typed
        errors = re.search(r'<ul class="errors" id="amount-error">(.*?)</ul>', html)[1]
        assert errors.count("<li>") == 1, (amount, errors)  # one message, the right one
    assert payments() == []


def test_french_amounts_are_read_as_typed(client, invoiced):
    """'5,00' was recorded as 500,00 € by the browser's number field."""
    login(client, *invoiced.REGISSEUR)
    html = page(client, f"/admin/familles/{family('MARTIN').id}/facturation")
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', html)[0]
    assert 'type="text"' in amount and 'inputmode="decimal"' in amount
    for amount in ("5,00", "1.5", "0,9 €", ",50"):
        assert pay(client, "MARTIN", amount).status_code == 302, amount
    assert payments() == [Decimal("5.00"), Decimal("1.50"), Decimal("0.90"),
                          Decimal("0.50")]
    assert invoice_of("MARTIN").amount_paid == Decimal("7.90")


def test_ambiguous_amounts_are_refused_with_what_to_type(client, invoiced):
    login(client, *invoiced.REGISSEUR)
    for amount in ("12,345", "1.234,5", "1,234.50", "5,005", "1.234.567"):
        response = pay(client, "MARTIN", amount)
        assert response.status_code == 422, amount
        assert f"« {amount} » peut se lire de deux façons" in plain(body(response)), amount
    assert payments() == []


def test_an_overpayment_is_recorded_once_confirmed(client, invoiced):
    login(client, *invoiced.REGISSEUR)
    martin = invoice_of("MARTIN")  # 9,40 € due
    response = pay(client, "MARTIN", "12 345", invoice=martin)
    html = plain(body(response))
    assert response.status_code == 200 and payments() == []
    assert ("Ce règlement de 12 345,00 € dépasse de 12 335,60 € ce que la famille doit "
            "(9,40 €)") in html
    assert field_value(html, "amount") == "12 345"
    # A confirmation given for another amount does not count.
    assert pay(client, "MARTIN", "12 345", invoice=martin,
               confirmed="1234.50").status_code == 200
    assert payments() == []
    response = pay(client, "MARTIN", "12 345", invoice=martin, confirmed="12345.00")
    assert response.status_code == 302 and payments() == [Decimal("12345.00")]
    assert "avoir de 12 335,60 €" in plain(body(client.get(response.headers["Location"])))


def test_a_small_overpayment_needs_no_confirmation(client, invoiced):
    """A cheque rounded up (10 € for 9,40 €) is kept as credit at once."""
    login(client, *invoiced.REGISSEUR)
    assert pay(client, "MARTIN", "10,40", invoice=invoice_of("MARTIN")).status_code == 302
    assert payments() == [Decimal("10.40")]


def test_sepa_file_for_families_with_a_mandate(client, invoiced):
    login(client, *invoiced.REGISSEUR)
    html = plain(page(client, "/admin/prelevements"))
    assert "1 facture, 9,40 € au total." in html  # the BERNARD have no mandate
    collection = today() + timedelta(days=7)
    response = submit(client, "/admin/prelevements",
                      {"collection_on": collection.isoformat(), "month": ""})
    assert response.status_code == 302
    html = page(client, "/admin/prelevements")
    assert "Fichier de prélèvement créé : 1 facture." in html
    link = re.search(r'href="(/admin/prelevements/\d+\.xml)"', html)[1]
    download = client.get(link)
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    xml = download.data
    schema = xmlschema.XMLSchema(os.path.join(os.path.dirname(sepaxml.__file__), "schemas",
                                              "pain.008.001.02.xsd"))
    schema.validate(xml.decode())  # raises if the file does not follow pain.008.001.02
    root = ElementTree.fromstring(xml)
    assert root.find(".//p:GrpHdr/p:NbOfTxs", NS).text == "1"
    assert root.find(".//p:GrpHdr/p:CtrlSum", NS).text == "9.40"
    assert root.find(".//p:CdtrSchmeId//p:Othr/p:Id", NS).text == "FR12ZZZ123456"
    assert root.find(".//p:PmtInf/p:ReqdColltnDt", NS).text == collection.isoformat()
    assert root.find(".//p:SeqTp", NS).text == "FRST"
    tx = root.find(".//p:DrctDbtTxInf", NS)
    assert tx.find("p:InstdAmt", NS).text == "9.40"
    assert tx.find(".//p:MndtId", NS).text == "PF-MARTIN-0001"
    assert tx.find(".//p:DbtrAcct//p:IBAN", NS).text == "FR1420041010050500013M02606"
    assert tx.find(".//p:EndToEndId", NS).text == invoice_of("MARTIN").number
    # The invoice is now paid by direct debit, and is not in the next file.
    assert invoice_of("MARTIN").amount_paid == Decimal("9.40")
    assert db.session.scalar(select(Payment.method)) == "direct_debit"
    submit(client, "/admin/prelevements", {"collection_on": collection.isoformat()})
    assert "Aucune facture à prélever." in page(client, "/admin/prelevements")
    # April's debit under the same mandate is a recurrent one.
    for day in days_of(CANTEEN, 1, MONTH.replace(month=4)):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], MONTH.replace(month=4), today())
    db.session.commit()
    submit(client, "/admin/prelevements", {"collection_on": collection.isoformat()})
    links = re.findall(r'href="(/admin/prelevements/\d+\.xml)"',
                       page(client, "/admin/prelevements"))
    second = ElementTree.fromstring(client.get(links[0]).data)
    assert second.find(".//p:SeqTp", NS).text == "RCUR"


def test_sepa_needs_the_creditor_details(client, invoiced):
    settings = BillingSettings.current()
    settings.creditor_identifier = ""
    db.session.commit()
    login(client, *invoiced.REGISSEUR)
    html = page(client, "/admin/prelevements")
    assert "ne sont pas renseignées" in html and "Créer le fichier" not in html


def test_certificates_of_the_month_change_the_invoice(client, demo):
    day = days_of(CANTEEN, 1)[0]
    book("Léa", CANTEEN, day)
    mark("Léa", CANTEEN, day, "absent", "ill")
    login(client, *demo.REGISSEUR)
    html = page(client, "/admin/facturation/certificats?mois=2026-03")
    assert "Léa MARTIN" in html and 'aria-pressed="false"' in html
    attendance = db.session.scalar(select(Attendance))
    response = client.post(f"/admin/facturation/certificats/{attendance.id}",
                           data={"certificate": "1"},
                           headers=dict(HTMX, **{"X-CSRFToken": csrf_from(html)}))
    assert response.status_code == 200 and "<html" not in body(response)
    assert 'aria-pressed="true"' in body(response)
    db.session.refresh(attendance)
    assert attendance.certificate
    assert issue_invoices([family("MARTIN").id], MONTH, today()) == []  # nothing is due


def test_staff_set_the_quotient_and_the_mandate(client, demo):
    login(client, *demo.REGISSEUR)
    url = f"/admin/familles/{family('BERNARD').id}/facturation"
    response = submit(client, url, {"quotient": "950", "mandate_reference": "PF-BERNARD-1",
                                    "mandate_signed_on": ""})
    assert response.status_code == 422
    assert "Un mandat a une référence et une date de signature." in body(response)
    response = submit(client, url, {"quotient": "950", "mandate_reference": "PF-BERNARD-1",
                                    "mandate_signed_on": "2026-01-15"})
    assert response.status_code == 302
    bernard = family("BERNARD")
    db.session.refresh(bernard)
    assert (bernard.quotient, bernard.mandate_reference) == (950, "PF-BERNARD-1")
    event_ = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "billing_details.updated"))
    assert event_.details == {"fields": ["quotient", "mandate_reference", "mandate_signed_on"]}
    assert "950 €" in plain(page(client, f"/admin/familles/{bernard.id}"))


def test_admins_set_tariffs_brackets_and_rules(client, demo):
    login(client, *demo.ADMIN)
    canteen = activity(CANTEEN)
    bracket = QfBracket.ordered()[1]
    name = f"price-{canteen.id}-{bracket.id}"
    html = page(client, "/admin/tarifs")
    assert f'name="{name}" inputmode="decimal" value="2,35"' in html
    for typed in ("abc", "2,345", "1.234,5", "-1", "1 001"):
        response = submit(client, "/admin/tarifs", {name: typed})
        assert response.status_code == 422, typed
        assert "Certains prix ne sont pas valides" in body(response), typed
        assert f'value="{typed}" aria-invalid="true"' in body(response), typed
    response = submit(client, "/admin/tarifs", {name: "2.5"})
    assert response.status_code == 302 and Tariff.grid()[(canteen.id, bracket.id)] == Decimal(
        "2.50")
    response = submit(client, "/admin/tarifs", {name: "2,50"})
    assert response.status_code == 302
    prices = Tariff.grid()
    assert prices[(canteen.id, bracket.id)] == Decimal("2.50")
    assert (canteen.id, QfBracket.ordered()[0].id) not in prices  # the other fields were empty

    response = submit(client, "/admin/tarifs", {"label": "Tranche E", "min_quotient": "1800"},
                      post_url="/admin/tarifs/tranches")
    assert [b.label for b in QfBracket.ordered()][-1] == "Tranche E"
    assert "de 1301 € à 1799 €" in page(client, "/admin/tarifs")

    response = submit(client, "/admin/facturation/regles", {
        "bill_reserved_present": "y", "bill_unmarked_reserved": "y",
        "bill_absent_unexcused": "y", "bill_absent_ill": "y", "bill_absent_ill_certified": "y",
        "unreserved_surcharge_percent": "12,5", "default_bracket_id": str(bracket.id),
        "due_days": "15", "first_reminder_days": "10", "second_reminder_days": "30",
        "payment_instructions": "Au guichet.", "creditor_name": "Mairie",
        "creditor_iban": "FR76 3000 1007 9412 3456 7890 185", "creditor_bic": "bdfefrppcct",
        "creditor_identifier": "FR12ZZZ123456"})
    assert response.status_code == 302
    settings = BillingSettings.current()
    db.session.refresh(settings)
    assert settings.bill_absent_ill_certified and not settings.bill_absent_excused
    assert settings.unreserved_surcharge_percent == Decimal("12.50")
    assert (settings.default_bracket_id, settings.due_days) == (bracket.id, 15)
    assert (settings.creditor_iban, settings.creditor_bic) == (
        "FR7630001007941234567890185", "BDFEFRPPCCT")
    html = page(client, "/admin/facturation/regles")
    assert field_value(html, "unreserved_surcharge_percent") == "12,50"
    response = submit(client, "/admin/facturation/regles", {
        "unreserved_surcharge_percent": "12,345 %", "default_bracket_id": "0",
        "due_days": "30"})
    assert response.status_code == 422
    assert "« 12,345 % » peut se lire de deux façons" in plain(body(response))
    response = submit(client, "/admin/facturation/regles", {
        "unreserved_surcharge_percent": "10", "default_bracket_id": "0", "due_days": "30",
        "creditor_iban": "FR00 1234"})
    assert response.status_code == 422 and "Cet IBAN n'est pas valide." in body(response)


def test_tariffs_and_rules_are_for_admins_not_agents(client, demo):
    login(client, *demo.REGISSEUR)
    for url in ("/admin/tarifs", "/admin/facturation/regles"):
        assert client.get(url).status_code == 403
    token = csrf_from(page(client, "/admin/facturation"))
    for url in ("/admin/tarifs", "/admin/tarifs/tranches", "/admin/facturation/regles",
                f"/admin/tarifs/tranches/{QfBracket.ordered()[0].id}/supprimer"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert len(QfBracket.ordered()) == 4
    html = page(client, "/admin/facturation")  # the régisseur runs the invoicing
    assert "Lancer la facturation" in html and "/admin/tarifs" not in html


def test_another_familys_invoice_is_not_found(client, other_client, invoiced):
    martin, bernard = invoice_of("MARTIN"), invoice_of("BERNARD")
    other_family_parent(other_client)
    for url in (f"/facturation/{martin.id}", f"/facturation/{martin.id}/facture.pdf"):
        response = other_client.get(url)
        assert response.status_code == 404, url
    own = plain(page(other_client, "/facturation/"))
    assert bernard.number in own and martin.number not in own
    assert "9,40 €" not in own
    assert other_client.get(f"/facturation/{bernard.id}/facture.pdf").status_code == 200


def test_billing_pages_need_a_parent_and_send_staff_to_their_area(client, invoiced):
    response = client.get("/facturation/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    login(client, *invoiced.REGISSEUR)
    assert client.get("/facturation/").headers["Location"] == "/admin/"
    assert client.get(f"/admin/factures/{invoice_of('MARTIN').id}/facture.pdf").status_code \
        == 200


def test_billing_pages_stay_at_a_few_queries(client, invoiced):
    """The parent's page and the staff's invoice list do not grow with invoices."""
    login(client, *invoiced.PARENT)

    def queries(url):
        count = [0]

        def counter(*_args):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            page(client, url)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count[0]

    one = queries("/facturation/")
    for month in (4, 5, 6):
        for day in days_of(CANTEEN, 1, MONTH.replace(month=month)):
            book("Léa", CANTEEN, day)
        issue_invoices([family("MARTIN").id], MONTH.replace(month=month), today())
    db.session.commit()
    assert db.session.scalar(select(func.count(Invoice.id))) == 5
    assert queries("/facturation/") == one
