"""Yearly statements: the attestation of childcare costs (children under 6 on 1 January,
care without meals, what was paid) and the statement of payments, for the parent; every
family's attestation zipped for staff by a job in the real worker."""
import io
import zipfile
from decimal import Decimal

import pytest

from extensions import db
from models.billing import issue_invoices, record_payment
from models.clock import to_paris, utcnow
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, pdf_text, words
from tests.helpers import csrf_from, login, page

CANTEEN = "Restauration scolaire"
REGISSEUR = ("regie@example.org", "portail-regie-2026")


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def year_2026(demo):
    """March 2026: Hugo (born 3 Feb 2020, 5 on 1 Jan 2026) at the evening APS 3 days
    (3 x 1.80 = 5.40 €) and the canteen 2 days (meals: not care); Léa (born 2017) at the
    APS 2 days. The MARTIN paid half of the 13.70 € invoice."""
    for day in days_of("APS Soir", 3):
        book("Hugo", "APS Soir", day)
    for day in days_of(CANTEEN, 2):
        book("Hugo", CANTEEN, day)
    for day in days_of("APS Soir", 2):
        book("Léa", "APS Soir", day)
    book("Jules", "APS Soir", days_of("APS Soir", 1)[0])
    issue_invoices([family("MARTIN").id, family("BERNARD").id], MONTH, today())
    assert invoice_of("MARTIN").total == Decimal("13.70")
    record_payment(family("MARTIN"), Decimal("6.85"), "cheque", MONTH.replace(day=20), None)
    db.session.commit()
    return demo


def test_the_parent_downloads_the_yearly_attestation(client, year_2026):
    login(client, *year_2026.PARENT)
    html = words(page(client, "/facturation/"))
    assert "Attestations annuelles" in html
    assert "Attestation de frais de garde (enfants de moins de 6 ans)" in html
    response = client.get("/facturation/attestations/2026/frais-de-garde.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Attestation de frais de garde 2026" in text and "Famille MARTIN" in text
    assert "Hugo MARTIN" in text and "Léa" not in text
    assert "2,70 €" in text  # half of Hugo's 5,40 € of care; his meals are not care
    statement = pdf_text(client.get("/facturation/attestations/2026/reglements.pdf").data)
    assert "Relevé des règlements 2026" in statement and "6,85 €" in statement
    assert invoice_of("MARTIN").number in statement
    assert client.get("/facturation/attestations/2019/reglements.pdf").status_code == 404


def test_a_family_without_young_children_gets_no_attestation(client, other_client,
                                                               year_2026):
    from tests.helpers import other_family_parent

    other_family_parent(other_client)  # the BERNARD: Jules was born in 2016
    html = words(page(other_client, "/facturation/"))
    assert "Relevé des règlements" in html and "Attestation de frais de garde" not in html
    assert other_client.get("/facturation/attestations/2026/frais-de-garde.pdf"
                            ).status_code == 404


def test_staff_get_every_attestation_zipped(client, year_2026, run_jobs):
    login(client, *REGISSEUR)
    html = page(client, "/admin/facturation/attestations")
    response = client.post("/admin/facturation/attestations",
                           data={"csrf_token": csrf_from(html), "year": "2026"})
    assert response.status_code == 302
    run_jobs()
    listed = page(client, "/admin/facturation/attestations")
    assert "1 attestation" in words(listed) and "Télécharger le zip" in listed
    from models import StatementBatch

    batch = db.session.query(StatementBatch).one()
    download = client.get(f"/admin/facturation/attestations/{batch.id}.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    [name] = archive.namelist()
    assert name.startswith("attestation-2026-MARTIN")
    assert "Hugo MARTIN" in pdf_text(archive.read(name))


def test_bulk_attestations_are_for_billing_staff(client, year_2026):
    login(client, *year_2026.AGENT)
    assert client.get("/admin/facturation/attestations").status_code == 403
