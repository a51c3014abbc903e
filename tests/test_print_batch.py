"""Families without an account get their invoices by post: one PDF with every invoice of
the month, one a page, the address where a window envelope shows it."""
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from extensions import db
from models.billing import issue_invoices
from models.clock import to_paris, utcnow
from models.corrections import issue_corrections
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, mark, plain, words
from tests.helpers import login, page

CANTEEN = "Restauration scolaire"
REGISSEUR = ("regie@example.org", "portail-regie-2026")
MM = 72 / 25.4  # PDF points per millimetre


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def march(demo):
    """The MARTIN have an account; the BERNARD not yet: their invoice and its
    supplementary invoice are to print."""
    for day in days_of(CANTEEN, 2):
        book("Léa", CANTEEN, day)
        book("Jules", CANTEEN, day)
    issue_invoices([family("MARTIN").id, family("BERNARD").id], MONTH, today())
    db.session.commit()
    mark("Jules", "APS Soir", days_of("APS Soir", 1)[0], "present", unreserved=True)
    issue_corrections(MONTH, today(), None)
    db.session.commit()
    assert invoice_of("BERNARD").total == Decimal("2.00")
    return demo


def positions(pdf_page):
    found = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():  # where the text starts on the page, in points from bottom-left
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            found.append((plain(text).strip(), x, y))

    pdf_page.extract_text(visitor_text=visit)
    return found


def test_the_print_batch_of_families_without_an_account(client, march):
    login(client, *REGISSEUR)
    html = words(page(client, "/admin/facturation/impression?mois=2026-03"))
    assert "2 factures à imprimer pour mars 2026" in html and "BERNARD" in html
    assert "MARTIN" not in html
    response = client.get("/admin/facturation/impression.pdf?mois=2026-03")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2  # one invoice a page
    numbers = [invoice_of("BERNARD").number]
    for pdf_page in reader.pages:
        text = plain(pdf_page.extract_text())
        assert "Famille BERNARD" in text and "MARTIN" not in text
        height = float(pdf_page.mediabox.height)
        [(_t, x, y)] = [p for p in positions(pdf_page) if p[0] == "Famille BERNARD"]
        # In the window of a DL envelope: 100 to 200 mm from the left, 45 to 90 mm down.
        assert 100 * MM <= x <= 200 * MM, x / MM
        assert 45 * MM <= height - y <= 90 * MM, (height - y) / MM
    assert numbers[0] in plain(reader.pages[0].extract_text())
    assert "Facture complémentaire de la facture" in plain(reader.pages[1].extract_text())


def test_printing_is_for_billing_staff(client, march):
    login(client, *march.AGENT)
    assert client.get("/admin/facturation/impression").status_code == 403
    assert client.get("/admin/facturation/impression.pdf").status_code == 403
