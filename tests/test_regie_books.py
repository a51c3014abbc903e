"""The régie's books: the payment journal per day and per method (page and CSV), and
the month's invoices and credit notes as CSV, in French number and date formats."""
from datetime import timedelta
from decimal import Decimal

import pytest

from extensions import db
from models import User
from models.billing import cancel_payment, issue_invoices, record_payment
from models.clock import to_paris, utcnow
from models.corrections import issue_corrections
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, mark, words
from tests.helpers import login, page

CANTEEN = "Restauration scolaire"
REGISSEUR = ("regie@example.org", "portail-regie-2026")


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def books(demo):
    """Two invoices of March, payments on two days of this month, one cancelled."""
    days = days_of(CANTEEN, 4)
    for day in days:
        book("Léa", CANTEEN, day)
    book("Jules", CANTEEN, days[0])
    issue_invoices([family("MARTIN").id, family("BERNARD").id], MONTH, today())
    first = today().replace(day=1)
    record_payment(family("MARTIN"), Decimal("1234.56"), "cheque", first, None)
    record_payment(family("MARTIN"), Decimal("5.00"), "cash", first, None)
    record_payment(family("BERNARD"), Decimal("1.00"), "online", first + timedelta(days=0),
                   None)
    bounced = record_payment(family("BERNARD"), Decimal("50.00"), "cheque", first, None)
    cancel_payment(bounced, User.by_email(REGISSEUR[0]))
    db.session.commit()
    return demo


def test_the_payment_journal_per_day_and_method(client, books):
    login(client, *REGISSEUR)
    month = today().strftime("%Y-%m")
    html = words(page(client, f"/admin/facturation/journal?mois={month}"))
    assert "Paiement en ligne" in html and "Chèque" in html and "Espèces" in html
    assert "1 234,56 €" in html and "1 240,56 €" in html  # the day's and month's total
    assert "Règlements annulés (non comptés)" in html and "50,00 €" in html
    response = client.get(f"/admin/facturation/journal.csv?mois={month}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffDate;Mode de règlement;Nombre;Montant")
    day = today().replace(day=1).strftime("%d/%m/%Y")
    lines = text.splitlines()
    assert f"{day};Chèque;1;1234,56" in lines
    assert f"{day};Paiement en ligne;1;1,00" in lines
    assert f"{day};Total du jour;3;1240,56" in lines
    assert "Total;Tous modes;3;1240,56" in lines


def test_the_months_invoices_and_credit_notes_for_accounting(client, books):
    mark("Léa", CANTEEN, days_of(CANTEEN, 4)[3], "absent", "excused")
    issue_corrections(MONTH, today(), None)
    db.session.commit()
    login(client, *REGISSEUR)
    text = client.get("/admin/facturation/factures-du-mois.csv?mois=2026-03").data.decode()
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == ("Numéro;Type;Famille;Émise le;Montant;Échéance;Réglé;Reste à payer;"
                        "Corrige")
    martin, bernard = invoice_of("MARTIN"), invoice_of("BERNARD")
    issued, due = today().strftime("%d/%m/%Y"), martin.due_on.strftime("%d/%m/%Y")
    assert f"{martin.number};Facture;MARTIN;{issued};9,40;{due};7,05;0,00;" in lines
    assert f"{bernard.number};Facture;BERNARD;{issued};1,00;{due};1,00;0,00;" in lines
    assert f"AV-{today().year}-0001;Avoir;MARTIN;{issued};-2,35;;0,00;0,00;{martin.number}" \
        in lines


def test_the_books_are_for_billing_staff(client, books):
    login(client, *books.AGENT)
    for url in ("/admin/facturation/journal", "/admin/facturation/journal.csv",
                "/admin/facturation/factures-du-mois.csv"):
        assert client.get(url).status_code == 403, url
