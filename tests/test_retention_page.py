"""The staff page of the retention periods (admins only): shown with their French labels
and defaults, saved and audited, bad input said in French with nothing saved, the last
purge's report, and the erasure of a family on request from its file."""
import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.retention import run_retention
from models import AuditEvent, Family, Invoice, RetentionSetting, Town, User
from models.retention import amount
from tests.helpers import body, csrf_from, login, page

URL = "/admin/conservation"
GOOD = {"departed_family_files": "18", "sent_email_bodies": "3", "unsent_link_emails": "2",
        "billing_after_erasure": "10", "audit_months": "6"}


def _post(client, data):
    return client.post(URL, data=dict(data, csrf_token=csrf_from(page(client, URL))))


@pytest.mark.parametrize("who", ["PARENT", "AGENT"])
def test_parents_and_agents_are_refused(client, demo, who):
    login(client, *getattr(demo, who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=GOOD).status_code in (400, 403)
    assert db.session.scalar(select(func.count()).select_from(RetentionSetting)) == 0
    assert "Conservation des données" not in body(client.get("/admin/" if who == "AGENT"
                                                             else "/"))


def test_anonymous_visitors_are_sent_to_the_login(client, demo):
    response = client.get(URL)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_an_admin_sees_the_periods_and_the_defaults(client, demo):
    login(client, *demo.ADMIN)
    html = page(client, "/admin/")
    assert 'href="/admin/conservation"' in html  # in the admin navigation
    html = page(client, URL)
    for words in ("Documents et données de santé d'une famille partie",
                  "Contenu des emails envoyés", "Facturation d'une famille effacée",
                  "Journal des actions", "Projet d'accueil individualisé (PAI)",
                  "Sessions de connexion", "Aucune purge n'a encore eu lieu."):
        assert words in html, words
    assert 'name="departed_family_files" type="text" value="12"' in html \
        or 'value="12"' in html
    assert client.get(URL).headers["Cache-Control"].startswith("no-store")


def test_an_admin_saves_the_periods_and_it_is_audited(client, demo):
    login(client, *demo.ADMIN)
    response = _post(client, GOOD)
    assert response.status_code == 302
    html = page(client, URL)
    assert "Les durées de conservation sont enregistrées." in html
    db.session.expire_all()
    assert amount("departed_family_files") == 18
    assert amount("sent_email_bodies") == 3
    assert Town.current().audit_retention_months == 6
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.changed"))
    assert event.actor_id == User.by_email(demo.ADMIN[0]).id
    assert event.details["changes"] == {"departed_family_files": [12, 18],
                                        "sent_email_bodies": [7, 3], "audit_months": [12, 6]}
    assert "Durées de conservation des données modifiées" in page(client, "/admin/journal")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("departed_family_files", "douze", "Saisissez un nombre entier, sans virgule ni unité."),
    ("departed_family_files", "", "Saisissez un nombre entier, sans virgule ni unité."),
    ("sent_email_bodies", "-1", "Choisissez une durée entre 0 et 90 jours."),
    ("billing_after_erasure", "5", "Choisissez une durée entre 10 et 30 ans."),
    ("departed_family_files", "1,5", "Saisissez un nombre entier, sans virgule ni unité."),
])
def test_bad_input_is_said_in_french_and_nothing_is_saved(client, demo, field, value, message):
    login(client, *demo.ADMIN)
    response = _post(client, dict(GOOD, **{field: value}))
    assert response.status_code == 422
    html = body(response)
    assert message in html
    assert "Rien n'a été enregistré" in html
    assert 'value="18"' in html or field == "departed_family_files"  # what was typed stays
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RetentionSetting)) == 0
    assert Town.current().audit_retention_months == 12


def test_the_last_purge_report_is_shown(client, demo):
    run_retention()
    login(client, *demo.ADMIN)
    html = page(client, URL)
    assert "Dernière purge" in html and "Aucune purge n'a encore eu lieu." not in html
    assert "Contenus d'emails envoyés effacés" in html
    assert "Documents de familles parties effacés" in html


def test_an_admin_erases_a_family_from_its_file(client, other_client, demo):
    martin = db.session.scalar(select(Family).where(Family.name == "MARTIN"))
    family_id = martin.id
    login(other_client, *demo.AGENT)
    assert f"/admin/familles/{family_id}/effacer" not in page(other_client,
                                                              f"/admin/familles/{family_id}")
    assert other_client.get(f"/admin/familles/{family_id}/effacer").status_code == 403
    assert other_client.post(f"/admin/familles/{family_id}/effacer",
                             data={"confirmation": "MARTIN"}).status_code in (400, 403)
    login(client, *demo.ADMIN)
    assert f"/admin/familles/{family_id}/effacer" in page(client, f"/admin/familles/{family_id}")
    form = page(client, f"/admin/familles/{family_id}/effacer")
    wrong = client.post(f"/admin/familles/{family_id}/effacer",
                        data={"csrf_token": csrf_from(form), "confirmation": "BERNARD"})
    assert wrong.status_code == 422
    assert "Ce n'est pas le nom de la famille : rien n'a été effacé." in body(wrong)
    assert db.session.get(Family, family_id).name == "MARTIN"
    invoices = db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.family_id == family_id))
    done = client.post(f"/admin/familles/{family_id}/effacer",
                       data={"csrf_token": csrf_from(form), "confirmation": " martin "})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Family, family_id).name.startswith("Famille effacée")
    assert User.by_email(demo.PARENT[0]) is None
    assert db.session.scalar(select(func.count(Invoice.id)).where(
        Invoice.family_id == family_id)) == invoices  # billing kept, anonymised
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "family.erased"))
    assert event.family_id == family_id
    assert event.actor_id == User.by_email(demo.ADMIN[0]).id
    assert "La famille MARTIN a été effacée" in page(client, "/admin/familles")
