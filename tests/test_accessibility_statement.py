"""Issue 14: the « Accessibilité » page, linked from every footer, says the statement's
facts as the admin filled them in, in one place."""
from extensions import db
from models import AccessibilityStatement
from tests.helpers import csrf_from, login, page


def test_the_page_is_public_and_linked_from_every_footer(client, demo):
    html = page(client, "/connexion")
    assert 'href="/accessibilite"' in html
    statement = page(client, "/accessibilite")
    assert "Déclaration d'accessibilité" in statement
    assert "non conforme" in statement and "RGAA" in statement
    assert "Aucun audit de conformité n'a encore été réalisé." in statement
    assert "Voies de recours" in statement and "Défenseur des droits" in statement
    # The service's contact stands in until the town gives one.
    assert "enfance@beaulieu-sur-loire.example.org" in statement
    assert db.session.query(AccessibilityStatement).count() == 0  # reading writes nothing


def test_an_admin_fills_in_the_statement_and_the_page_says_it(client, other_client, demo):
    login(client, *demo.ADMIN)
    form = page(client, "/admin/accessibilite")
    response = client.post("/admin/accessibilite", data={
        "csrf_token": csrf_from(form), "conformance": "partielle", "rate": "78 %",
        "non_accessible": "Les factures PDF ne sont pas balisées.",
        "audit_date": "2026-11-20", "audit_method": "Audit interne sur 10 pages, NVDA.",
        "contact": "accessibilite@beaulieu.example.org"})
    assert response.status_code == 302
    html = page(other_client, "/accessibilite")
    assert "partiellement conforme" in html and "78 %" in html
    assert "Les factures PDF ne sont pas balisées." in html
    assert "20 novembre 2026" in html and "NVDA" in html
    assert "accessibilite@beaulieu.example.org" in html


def test_agents_and_parents_cannot_change_it(client, demo):
    login(client, *demo.PARENT)
    assert client.get("/admin/accessibilite").status_code in (302, 403, 404)
    assert client.post("/admin/accessibilite", data={"conformance": "totale"}).status_code in (
        302, 400, 403, 404)
    assert db.session.query(AccessibilityStatement).count() == 0


def test_a_bad_date_gets_a_french_message(client, demo):
    login(client, *demo.ADMIN)
    form = page(client, "/admin/accessibilite")
    response = client.post("/admin/accessibilite", data={
        "csrf_token": csrf_from(form), "conformance": "totale", "audit_date": "hier"})
    assert response.status_code == 422
    assert "Saisissez une date valide." in response.get_data(as_text=True)
