"""The billing role (régisseur): only it and admins touch money; agents read invoices but
get 403 on every money action and do not see its buttons; admins give the role."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEvent, Payment, User
from models.billing import issue_invoices, record_payment
from models.clock import to_paris, utcnow
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of
from tests.helpers import body, csrf_from, login, page

CANTEEN = "Restauration scolaire"


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def paid(demo):
    for day in days_of(CANTEEN, 2):
        book("Léa", CANTEEN, day)
    issue_invoices([family("MARTIN").id], MONTH, today())
    record_payment(family("MARTIN"), Decimal("1.00"), "cheque", today(), None)
    db.session.commit()
    return demo


def test_an_agent_cannot_touch_money(client, paid):
    login(client, *paid.AGENT)
    invoice, martin = invoice_of("MARTIN"), family("MARTIN")
    payment = db.session.scalar(select(Payment))
    token = csrf_from(page(client, "/admin/factures"))
    posts = {"/admin/facturation": {"month": "2026-03"},
             f"/admin/familles/{martin.id}/reglements": {"amount": "5,00", "method": "cash",
                                                         "received_on": today().isoformat()},
             f"/admin/reglements/{payment.id}/annuler": {"reason": "erreur", "confirm": "y"},
             "/admin/prelevements": {"collection_on": today().isoformat()},
             "/admin/facturation/regularisations": {"month": "2026-03"},
             f"/admin/factures/{invoice.id}/annuler": {"reason": "erreur", "confirm": "y"}}
    for url, data in posts.items():
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    for url in (f"/admin/reglements/{payment.id}/annuler", "/admin/facturation/regularisations",
                f"/admin/factures/{invoice.id}/annuler"):
        assert client.get(url).status_code == 403, url
    assert db.session.scalar(select(Payment).where(Payment.cancelled_at.is_not(None))) is None
    # The agent still reads the invoice, without the money buttons.
    html = page(client, f"/admin/factures/{invoice.id}")
    assert invoice.number in html
    for hidden in ("Enregistrer un règlement", "Annuler ce règlement", "Annuler la facture",
                   "Régularisations"):
        assert hidden not in html, hidden
    billing = page(client, "/admin/facturation")
    assert "Lancer la facturation" not in billing
    assert "réservés aux régisseurs et aux administrateurs" in billing


@pytest.mark.parametrize("who", ["REGISSEUR", "ADMIN"])
def test_the_regisseur_and_admins_handle_money(client, paid, who):
    login(client, *getattr(paid, who))
    html = page(client, f"/admin/factures/{invoice_of('MARTIN').id}")
    assert "Enregistrer un règlement" in html and "Annuler ce règlement" in html
    assert "Annuler la facture par un avoir" in html
    assert page(client, "/admin/facturation/regularisations?mois=2026-03")


def test_admins_give_the_billing_role(client, demo):
    login(client, *demo.ADMIN)
    html = page(client, "/admin/equipe")
    assert "Régisseur (facturation)" in html
    agent = User.by_email(demo.AGENT[0])
    response = client.post(f"/admin/equipe/{agent.id}/role",
                           data={"csrf_token": csrf_from(html), "role": "billing"})
    assert response.status_code == 302
    db.session.expire_all()
    assert User.by_email(demo.AGENT[0]).handles_money
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.role_changed"))
    assert event.details == {"role": "billing"}
    refused = client.post(f"/admin/equipe/{agent.id}/role",
                          data={"csrf_token": csrf_from(html), "role": "king"})
    assert refused.status_code == 400, body(refused)
