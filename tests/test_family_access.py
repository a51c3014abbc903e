"""Who may see and change a family file: a parent of family A trying any URL or form
of family B gets a 404 and nothing changes; anonymous visitors go to the login page;
agents cannot read the audit log or configure authorizations."""
import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, AuthorizedPerson, ChangeRequest, ChildAnswer
from tests.family_helpers import (
    bernard_parent,
    child,
    edit,
    family,
    form_data,
    guardian,
    image_bytes,
)
from tests.helpers import body, csrf_from, login, page
from tests.test_family_file import pending_blocks
from tests.test_family_inputs import upload


def family_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/ma-famille")]
    assert len(rules) >= 20
    return rules


@pytest.fixture
def bernard(app, demo):
    """Family BERNARD with an account, a contact, a photo and changes waiting for staff."""
    sophie = bernard_parent(app.test_client())
    agent_client = app.test_client()
    login(agent_client, *demo.AGENT)
    jules = child("BERNARD", "Jules")
    assert upload(sophie, jules.id, image_bytes()).status_code == 302
    photo_change = db.session.scalar(select(ChangeRequest).where(
        ChangeRequest.family_id == jules.family_id, ChangeRequest.field == "photo"))
    action = f"/admin/modifications/{photo_change.id}/decision"
    data = form_data(page(agent_client, "/admin/modifications"), action=action)
    data["decision"] = "approve"
    assert agent_client.post(action, data=data).status_code == 302
    assert upload(sophie, jules.id, image_bytes("PNG", exif=False), "p.png",
                  "image/png").status_code == 302
    edit(sophie, f"/ma-famille/enfants/{jules.id}/informations/modifier", {"class_name": "CM2"})
    pending = {c.field: c for c in ChangeRequest.pending_for_family(jules.family_id)}
    return {
        "answer_id": _reenrollment_answer(demo, jules),
        "child_id": jules.id,
        "guardian_id": guardian("BERNARD", "Sophie").id,
        "person_id": jules.authorized_persons[0].id,
        "change_id": pending["class_name"].id,
        "photo_change_id": pending["photo"].id,
        "client": sophie,
    }


def _reenrollment_answer(demo, jules):
    """Jules's answer to an open re-enrollment campaign."""
    from models import Campaign, User
    from models.calendar import school_year_of
    from models.clock import paris_today

    admin = db.session.scalar(select(User).where(User.email == demo.ADMIN[0]))
    today = paris_today()
    campaign = Campaign.start(school_year_of(today) + 1, today, today, today, admin)
    db.session.commit()
    return next(a.id for a in campaign.answers if a.child_id == jules.id)


def snapshot():
    jules = child("BERNARD", "Jules")
    return {
        "changes": sorted((c.id, c.status, str(c.new_value)) for c in db.session.scalars(
            select(ChangeRequest))),
        "persons": sorted((p.id, p.full_name, p.phone) for p in db.session.scalars(
            select(AuthorizedPerson))),
        "jules": (jules.class_name, jules.photo_name, jules.health_record),
        "sophie": (guardian("BERNARD", "Sophie").mobile_phone,),
        "audit": db.session.scalar(select(func.count(AuditEvent.id))),
        "reenrollment": sorted((a.id, a.status, tuple(a.activity_ids)) for a in db.session.scalars(
            select(ChildAnswer))),
    }


def test_a_parent_gets_404_for_every_url_and_form_of_another_family(app, parent_client,
                                                                      bernard):
    ids = dict(bernard)
    before = snapshot()
    token = csrf_from(page(parent_client, "/ma-famille/"))
    tried = 0
    for rule in family_rules(app):
        if not rule.arguments - set(rule.defaults or {}):
            continue
        values = {name: ids[name] for name in rule.arguments if name in ids}
        if rule.endpoint == "family.pending_photo":
            values["change_id"] = ids["photo_change_id"]
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            form = {"csrf_token": token, "decision": "approve", "comment": "x",
                    "full_name": "Intrus", "relation": "x", "phone": "0612345678",
                    "may_pick_up": "y", "class_name": "Piraté", "mobile_phone": "0612345678"}
            response = parent_client.open(url, method=method, data=form)
            assert response.status_code == 404, (method, url, response.status_code)
            assert "Jules" not in body(response) and "BERNARD" not in body(response)
            tried += 1
    assert tried >= 20
    assert snapshot() == before


def test_a_parent_cannot_reach_another_familys_contact_through_their_own_child(
        parent_client, bernard):
    lea = child("MARTIN", "Léa")
    person = bernard["person_id"]
    token = csrf_from(page(parent_client, "/ma-famille/"))
    before = snapshot()
    for method, url in [("GET", f"/ma-famille/enfants/{lea.id}/contacts/{person}/modifier"),
                        ("POST", f"/ma-famille/enfants/{lea.id}/contacts/{person}/modifier"),
                        ("POST", f"/ma-famille/enfants/{lea.id}/contacts/{person}/supprimer")]:
        response = parent_client.open(url, method=method, data={
            "csrf_token": token, "full_name": "Intrus", "relation": "x",
            "phone": "0612345678", "may_pick_up": "y"})
        assert response.status_code == 404, (method, url)
    assert snapshot() == before


def test_a_parent_sees_nothing_of_another_family_on_their_own_pages(parent_client, bernard):
    lea = child("MARTIN", "Léa")
    urls = ["/", "/ma-famille/", f"/ma-famille/enfants/{lea.id}/contacts",
            "/ma-famille/mes-donnees", "/ma-famille/mes-donnees.json"]
    for url in urls:
        html = body(parent_client.get(url))
        assert "Jules" not in html and "BERNARD" not in html and "Sophie" not in html, url


def test_the_other_family_still_reaches_its_own_file(bernard):
    sophie = bernard["client"]
    jules = bernard["child_id"]
    assert sophie.get(f"/ma-famille/enfants/{jules}/photo.jpg").status_code == 200
    assert sophie.get(
        f"/ma-famille/modifications/{bernard['photo_change_id']}/photo.jpg").status_code == 200
    assert "CM2" in page(sophie, f"/ma-famille/enfants/{jules}")


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, demo):
    token = csrf_from(page(client, "/connexion"))
    for rule in family_rules(app):
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/connexion"), (method, url)


def test_staff_are_sent_to_their_own_area(agent_client):
    response = agent_client.get("/ma-famille/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("method, url", [
    ("GET", "/admin/journal"), ("POST", "/admin/journal/conservation"),
    ("GET", "/admin/autorisations"), ("POST", "/admin/autorisations"),
    ("POST", "/admin/autorisations/1/activation"),
])
def test_agents_cannot_read_the_audit_log_or_configure_authorizations(agent_client, method,
                                                                       url):
    token = csrf_from(page(agent_client, "/admin/"))
    response = agent_client.open(url, method=method, data={"csrf_token": token, "months": 1})
    assert response.status_code == 403


def test_staff_reach_any_family_file(client, demo, bernard):
    login(client, *demo.ADMIN)
    jules = bernard["child_id"]
    html = page(client, f"/admin/enfants/{jules}")
    assert "CM1" in html  # the validated class, and the asked one beside it
    assert any("CM2" in b and "À valider" in b for b in pending_blocks(html))
    assert client.get(f"/admin/enfants/{jules}/photo.jpg").status_code == 200
    assert client.get(f"/admin/familles/{family('BERNARD').id}/banque/modifier").status_code \
        == 200
