"""The re-enrollment campaign: an admin opens next school year, children are promoted a
class, families confirm or change their activities, staff validate (next year's
enrollments), families without an answer are reminded; next year's planning opens on
the date the town set."""
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import delete, select

from extensions import db
from jobs.reenrollment import apply_class_promotions
from models import Campaign, ChildAnswer, Enrollment
from models.calendar import school_year_label, school_year_of
from models.clock import PARIS, utcnow
from models.reenrollment import next_class
from tests.helpers import (
    OTHER_PARENT,
    activity,
    body,
    child,
    login,
    other_family_parent,
    page,
    submit,
    today,
)


def test_each_child_moves_up_a_class():
    assert [next_class(c) for c in ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")] == [
        "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e"]
    assert next_class("ce2") == "CM1" and next_class("ULIS") == "ULIS"


def next_year():
    return school_year_of(today()) + 1


def open_campaign(client, planning_in_days=30, **changes):
    data = {"school_year": str(next_year()), "opens_on": today().isoformat(),
            "closes_on": (today() + timedelta(days=20)).isoformat(),
            "planning_opens_on": (today() + timedelta(days=planning_in_days)).isoformat()}
    return submit(client, "/admin/reinscriptions", dict(data, **changes))


def names(activity_ids):
    return sorted(db.session.get(type(activity("APS Soir")), i).name for i in activity_ids)


def answer_of(who):
    return db.session.scalar(select(ChildAnswer).where(ChildAnswer.child_id == child(who).id))


@pytest.fixture
def campaign(app, demo):
    # From June the demo already enrolls its families in the next year: the campaign
    # starts from this year's enrollments only, as a town's first campaign does.
    db.session.execute(delete(Enrollment).where(Enrollment.school_year == next_year()))
    db.session.commit()
    admin = app.test_client()
    login(admin, *demo.ADMIN)
    response = open_campaign(admin)
    assert response.status_code == 302
    return db.session.scalar(select(Campaign))


def test_opening_proposes_the_next_class_and_this_years_activities(client, demo, campaign):
    login(client, *demo.ADMIN)
    html = page(client, "/admin/reinscriptions")
    assert f"Année scolaire {school_year_label(next_year())}" in html
    assert "2 familles · 0 réponse(s) reçue(s) · 2 sans réponse · 0 validée(s)" in html
    assert "Léa : CE2 → CM1" in html and "Hugo : MS → GS" in html and "Jules : CM1 → CM2" in html
    assert names(answer_of("Hugo").activity_ids) == [
        "APS Matin", "APS Soir", "Restauration scolaire"]
    again = open_campaign(client)
    assert again.status_code == 422 and "déjà ouverte" in body(again)


def test_a_family_confirms_or_changes_and_staff_validate(client, demo, campaign, run_jobs,
                                                         mailbox, other_client):
    login(client, *demo.PARENT)
    html = page(client, "/")
    assert "votre réponse est attendue" in html and 'href="/ma-famille/reinscription"' in html
    html = page(client, "/ma-famille/reinscription")
    hugo = html[html.index(f'id="reenrollment-{child("Hugo").id}"'):]
    assert "À la rentrée : GS (aujourd&#39;hui MS)." in hugo or "À la rentrée : GS" in hugo
    assert re.search(rf'value="{activity("APS Matin").id}" checked', hugo)
    # Hugo stops the morning APS; Léa keeps what she has.
    canteen, evening = activity("Restauration scolaire").id, activity("APS Soir").id
    response = submit(client, "/ma-famille/reinscription", {"activite": [canteen, evening]},
                      post_url=f"/ma-famille/reinscription/{answer_of('Hugo').id}")
    assert response.status_code == 302
    lea_activities = answer_of("Léa").activity_ids
    submit(client, "/ma-famille/reinscription", {"activite": lea_activities},
           post_url=f"/ma-famille/reinscription/{answer_of('Léa').id}")
    assert "Réponse enregistrée pour Léa" in page(client, "/ma-famille/reinscription")

    login(other_client, *demo.AGENT)
    html = page(other_client, "/admin/reinscriptions")
    assert "2 familles · 1 réponse(s) reçue(s) · 1 sans réponse · 0 validée(s)" in html
    response = submit(other_client, "/admin/reinscriptions", {},
                      post_url=f"/admin/reinscriptions/{campaign.id}/valider")
    assert "1 famille(s) validée(s), 5 inscription(s) créée(s)." in page(
        other_client, response.headers["Location"])
    year = next_year()
    enrolled = {(c, a) for c, a, _y in Enrollment.keys_for(
        [child("Hugo").id, child("Léa").id], [year], even_not_open=True)}
    assert {a for c, a in enrolled if c == child("Hugo").id} == {canteen, evening}
    assert {a for c, a in enrolled if c == child("Léa").id} == set(lea_activities)
    html = page(client, "/ma-famille/reinscription")
    assert "Validée par le service enfance" in html and "Confirmer pour Léa" not in html

    # This year's roll calls keep their classes; the new ones come with the new year.
    db.session.expire_all()
    assert (child("Léa").class_name, child("Hugo").class_name) == ("CE2", "MS")
    with time_machine.travel(datetime.combine(date(year, 9, 1), time(6), PARIS), tick=True):
        assert apply_class_promotions(utcnow()) == 2
    db.session.expire_all()
    assert (child("Léa").class_name, child("Hugo").class_name) == ("CM1", "GS")
    assert child("Jules").class_name == "CM1"  # BERNARD did not answer: not validated


def test_families_without_an_answer_are_reminded_once(app, client, demo, campaign, run_jobs,
                                                      mailbox, other_client):
    other_family_parent(other_client)  # Sophie BERNARD has an account; MARTIN answers
    login(client, *demo.PARENT)
    for who in ("Léa", "Hugo"):
        submit(client, "/ma-famille/reinscription", {"activite": answer_of(who).activity_ids},
               post_url=f"/ma-famille/reinscription/{answer_of(who).id}")
    assert "votre réponse est attendue" not in page(client, "/")  # nothing awaited now
    agent = app.test_client()
    login(agent, *demo.AGENT)
    response = submit(agent, "/admin/reinscriptions", {},
                      post_url=f"/admin/reinscriptions/{campaign.id}/relancer")
    assert "Relance envoyée aux 1 famille(s) sans réponse" in page(
        agent, response.headers["Location"])
    run_jobs()
    reminder = mailbox.wait_for(OTHER_PARENT[0], "Réinscriptions")
    assert "/ma-famille/reinscription" in reminder.get_body(("plain",)).get_content()
    assert not any("Réinscriptions" in m["Subject"] for m in mailbox.to(demo.PARENT[0]))
    run_jobs()
    assert len([m for m in mailbox.to(OTHER_PARENT[0]) if "Réinscriptions" in m["Subject"]]) == 1


def test_next_years_planning_opens_on_the_date_set(client, demo, campaign):
    login(client, *demo.AGENT)
    submit(client, "/admin/reinscriptions", {},
           post_url=f"/admin/reinscriptions/{campaign.id}/familles/"
                    f"{child('Léa').family_id}/valider")
    year = next_year()
    assert Enrollment.keys_for([child("Léa").id], [year], even_not_open=True)
    assert Enrollment.keys_for([child("Léa").id], [year]) == set()  # not bookable yet
    campaign.planning_opens_on = today()
    db.session.commit()
    assert Enrollment.keys_for([child("Léa").id], [year])


def test_only_admins_open_a_campaign_and_dates_are_checked(client, other_client, demo):
    login(other_client, *demo.AGENT)
    assert open_campaign(other_client).status_code == 403
    login(client, *demo.ADMIN)
    response = open_campaign(client, school_year=str(school_year_of(today())))
    assert response.status_code == 422 and "année scolaire à venir" in body(response)
    response = open_campaign(client, closes_on=(today() - timedelta(days=1)).isoformat())
    assert response.status_code == 422 and "La clôture doit suivre l&#39;ouverture." in body(
        response) or "La clôture doit suivre l'ouverture." in body(response)
    assert db.session.scalar(select(Campaign)) is None


def test_a_family_answers_only_for_its_children_while_open(client, demo, campaign,
                                                           other_client):
    other_family_parent(other_client)
    response = submit(other_client, "/ma-famille/reinscription", {"activite": []},
                      post_url=f"/ma-famille/reinscription/{answer_of('Léa').id}")
    assert response.status_code == 404
    campaign.closes_on = today() - timedelta(days=1)
    campaign.opens_on = today() - timedelta(days=10)
    db.session.commit()
    login(client, *demo.PARENT)
    assert "Aucune réinscription n'est ouverte" in page(client, "/ma-famille/reinscription")
    response = submit(client, "/ma-famille/", {"activite": []},
                      post_url=f"/ma-famille/reinscription/{answer_of('Léa').id}")
    assert "Les réinscriptions sont closes" in page(client, response.headers["Location"])
    assert answer_of("Léa").status == "proposed"


def test_validation_withdraws_what_the_family_no_longer_wants(app, client, planning):
    """Hugo was enrolled for next year by hand already; his family drops the morning APS:
    once validated, next year's enrollments are what the family answered."""
    admin = app.test_client()
    login(admin, *planning.ADMIN)
    assert open_campaign(admin).status_code == 302
    campaign = db.session.scalar(select(Campaign))
    login(client, *planning.PARENT)
    keep = [activity("Restauration scolaire").id, activity("APS Soir").id]
    submit(client, "/ma-famille/reinscription", {"activite": keep},
           post_url=f"/ma-famille/reinscription/{answer_of('Hugo').id}")
    submit(admin, "/admin/reinscriptions", {},
           post_url=f"/admin/reinscriptions/{campaign.id}/familles/"
                    f"{child('Hugo').family_id}/valider")
    enrolled = Enrollment.keys_for([child("Hugo").id], [next_year()], even_not_open=True)
    assert {a for _c, a, _y in enrolled} == set(keep)
