"""Staff create family files and hand over subscriber codes."""
import re
from datetime import date

from sqlalchemy import select

from extensions import db
from models import AuditEvent, Child, Family, User
from tests.helpers import body, login, page, submit
from tests.test_registration import SOPHIE, register

NEW_FAMILY = {"name": "Durand", "address_line": "5 rue Neuve", "postal_code": "44680",
              "city": "Beaulieu-sur-Loire", "civility": "M.", "first_name": "Paul",
              "last_name": "Durand", "email": "paul@example.net", "mobile_phone": ""}


def code_in(html):
    found = re.search(r'class="code">(PF-[0-9A-Z]{5}-[0-9A-Z]{5})<', html)
    assert found, "no subscriber code in the letter"
    return found.group(1)


def families_named(name):
    return db.session.scalars(select(Family).where(Family.name == name)).all()


def test_staff_creates_a_family_and_the_code_registers_a_parent(agent_client, other_client):
    response = submit(agent_client, "/admin/familles/nouvelle", NEW_FAMILY)
    assert response.status_code == 302
    response = agent_client.get(response.headers["Location"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    letter = body(response)
    code = code_in(letter)
    assert "Créer un compte" in letter and "M. Paul DURAND" in letter

    family = db.session.scalar(select(Family).where(Family.name == "DURAND"))
    assert code not in (family.subscriber_code_hash or "")  # only a keyed hash is stored
    assert family.subscriber_code_hash and len(family.subscriber_code_hash) == 64
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "subscriber_code.issued", AuditEvent.family_id == family.id))

    response = register(other_client, code, civility="M.", first_name="Paul",
                        last_name="Durand", email="paul@example.net")
    assert response.status_code == 302
    assert User.by_email("paul@example.net").family.name == "DURAND"


def test_children_and_guardians_are_added_with_checks(agent_client):
    submit(agent_client, "/admin/familles/nouvelle", NEW_FAMILY)
    family = db.session.scalar(select(Family).where(Family.name == "DURAND"))
    url = f"/admin/familles/{family.id}/enfants/nouveau"
    future = submit(agent_client, url, {"first_name": "Zoé", "last_name": "Durand",
                                        "birth_date": "2099-01-01", "sex": "F"})
    assert future.status_code == 422
    assert "ne peut pas être dans le futur" in body(future)
    ok = submit(agent_client, url, {"first_name": "Zoé", "last_name": "Durand",
                                    "birth_date": "2019-03-04", "sex": "F", "school": "Tilleuls",
                                    "class_name": "GS"})
    assert ok.status_code == 302
    submit(agent_client, f"/admin/familles/{family.id}/responsables/nouveau",
           {"civility": "Mme", "first_name": "Anne", "last_name": "Durand"})
    html = page(agent_client, f"/admin/familles/{family.id}")
    assert "Zoé DURAND" in html and "Anne DURAND" in html and "Pas encore de compte" in html


def test_a_new_code_replaces_the_old_one(agent_client, other_client, demo):
    family = db.session.scalar(select(Family).where(Family.name == "BERNARD"))
    response = submit(agent_client, f"/admin/familles/{family.id}", {},
                      post_url=f"/admin/familles/{family.id}/code")
    assert response.status_code == 302
    new_code = code_in(page(agent_client, response.headers["Location"]))
    old = register(other_client, demo.UNUSED_CODE)
    assert old.status_code == 422 and "n'est pas reconnu" in body(old)
    assert register(other_client, new_code).status_code == 302
    assert User.by_email(SOPHIE["email"]).family.id == family.id


def test_reloading_the_letter_creates_nothing_and_shows_the_code_no_more(agent_client):
    """The letter was the answer to the POST: reloading it created a second family."""
    response = submit(agent_client, "/admin/familles/nouvelle", NEW_FAMILY)
    letter_url = response.headers["Location"]
    [family] = families_named("DURAND")
    assert letter_url == f"/admin/familles/{family.id}/courrier"
    code_in(page(agent_client, letter_url))
    issued_at = family.code_issued_at
    again = agent_client.get(letter_url)  # the reload
    assert again.status_code == 302 and again.headers["Location"] == f"/admin/familles/{family.id}"
    html = page(agent_client, again.headers["Location"])
    assert "n'est affiché qu'une fois" in html and 'class="code"' not in html
    assert len(families_named("DURAND")) == 1
    db.session.refresh(family)
    assert family.code_issued_at == issued_at  # and the code still works


def test_a_likely_duplicate_family_is_confirmed_before_it_is_created(agent_client):
    submit(agent_client, "/admin/familles/nouvelle", NEW_FAMILY)
    [first] = families_named("DURAND")
    db.session.add(Child(family_id=first.id, first_name="Zoé", last_name="Durand",
                         birth_date=date(2019, 3, 4)))
    db.session.commit()
    # Same guardian, typed another way.
    again = dict(NEW_FAMILY, first_name="paul", last_name="DURAND ", name="Durand-Petit")
    response = submit(agent_client, "/admin/familles/nouvelle", again)
    assert response.status_code == 200
    html = body(response)
    assert "Un dossier existe peut-être déjà pour cette famille" in html
    assert f'href="/admin/familles/{first.id}"' in html and "Zoé (04/03/2019)" in html
    assert 'name="confirm_duplicate"' in html and 'value="Durand-Petit"' in html
    assert families_named("DURAND-PETIT") == []
    response = submit(agent_client, "/admin/familles/nouvelle",
                      dict(again, confirm_duplicate="y"))
    assert response.status_code == 302
    assert len(families_named("DURAND-PETIT")) == 1
    # Another name: no warning.
    response = submit(agent_client, "/admin/familles/nouvelle",
                      dict(NEW_FAMILY, first_name="Anne", name="Durand"))
    assert response.status_code == 302 and len(families_named("DURAND")) == 2


def test_a_child_already_in_another_file_is_confirmed_before_it_is_added(agent_client, demo):
    bernard = db.session.scalar(select(Family).where(Family.name == "BERNARD"))
    url = f"/admin/familles/{bernard.id}/enfants/nouveau"
    lea = {"first_name": "Lea", "last_name": "MARTIN", "birth_date": "2017-05-12", "sex": "F"}
    response = submit(agent_client, url, lea)
    assert response.status_code == 200
    assert "Un enfant du même nom, né le même jour" in body(response)
    assert len(bernard.children) == 1
    assert submit(agent_client, url, dict(lea, confirm_duplicate="y")).status_code == 302
    db.session.refresh(bernard)
    assert len(bernard.children) == 2


def test_family_search_answers_a_fragment_for_htmx(agent_client, demo):
    full = page(agent_client, "/admin/familles?q=bern")
    assert "<html" in full and "BERNARD" in full and "MARTIN" not in full
    fragment = agent_client.get("/admin/familles?q=l%C3%A9a", headers={
        "HX-Request": "true", "HX-Request-Type": "partial"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="family-results"' in fragment
    assert "MARTIN" in fragment and "BERNARD" not in fragment


def test_unknown_family_is_404(agent_client):
    assert agent_client.get("/admin/familles/9999").status_code == 404


def test_agent_sees_the_admin_area_but_parent_login_does_not(client, demo):
    login(client, *demo.ADMIN)
    assert "Espace agents" in page(client, "/admin/")
