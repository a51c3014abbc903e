"""Printed lists (PDF, A4, the town's header): the roll-call sheet per class with tick
boxes, the adults who may pick each child up with their phones, the PAI and allergies
per site for the kitchen. Those with health data are no-store and logged once."""
import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEvent, Booking
from tests.billing_helpers import pdf_text
from tests.helpers import activity, body, child, page, upcoming_day

CANTEEN = "Restauration scolaire"


def reserve(who, what, day):
    booking = db.session.scalar(select(Booking).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day)) or Booking(child_id=child(who).id,
                                        activity_id=activity(what).id, day=day)
    booking.state = "reserved"
    db.session.add(booking)
    db.session.commit()


@pytest.fixture
def canteen_day(planning):
    day = upcoming_day(activity(CANTEEN), days_ahead=2)
    for who in ("Léa", "Hugo", "Jules"):
        reserve(who, CANTEEN, day)
    return day


def pdf(client, path, **args):
    response = client.get(path, query_string=args)
    assert response.status_code == 200, body(response)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    return " ".join(pdf_text(response.data).split())  # the words, whatever the wrapping


def health_reads():
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "health.viewed")).all()


def test_the_lists_page_offers_the_three_lists(agent_client, planning):
    html = page(agent_client, "/admin/listes")
    assert "Feuille d'appel (cases à cocher)" in html
    assert "Adultes autorisés et téléphones" in html
    assert "PAI et allergies par site (cuisine)" in html
    assert "CE2 — École des Tilleuls" in html


def test_roll_call_sheet_one_page_per_class_with_what_to_know(agent_client, canteen_day):
    text = pdf(agent_client, "/admin/listes/appel.pdf", jour=canteen_day.isoformat(),
               activite=activity(CANTEEN).id)
    assert "Mairie de Beaulieu-sur-Loire" in text
    assert "Feuille d'appel — Restauration scolaire" in text
    for class_name in ("CE2", "MS", "CM1"):
        assert f"École des Tilleuls, classe {class_name}" in text
    assert "MARTIN Léa" in text and "MARTIN Hugo" in text and "BERNARD Jules" in text
    assert "Allergies : Arachides" in text and "PAI" in text
    assert "Présent" in text and "Absent" in text
    [read] = health_reads()
    assert read.details == {"where": "roll_call_sheet", "children": 3, "families": 2}


def test_roll_call_sheet_of_one_class(agent_client, canteen_day):
    text = pdf(agent_client, "/admin/listes/appel.pdf", jour=canteen_day.isoformat(),
               activite=activity(CANTEEN).id, classe="École des Tilleuls|CE2")
    assert "MARTIN Léa" in text and "Hugo" not in text and "Jules" not in text
    assert health_reads()[0].details["children"] == 1


def test_pick_up_sheet_gives_the_adults_and_their_phones(agent_client, canteen_day):
    text = pdf(agent_client, "/admin/listes/adultes.pdf", jour=canteen_day.isoformat(),
               activite=activity(CANTEEN).id)
    assert "Adultes autorisés — Restauration scolaire" in text
    assert "Monique Durand (Grand-mère) · 06 11 22 33 44" in text
    assert "Claire MARTIN" in text and "Ne part pas seul" in text
    assert "Allergies" not in text


def test_kitchen_list_per_site(agent_client, canteen_day):
    text = pdf(agent_client, "/admin/listes/cuisine.pdf", jour=canteen_day.isoformat())
    assert "PAI et allergies — cuisine" in text and "École des Tilleuls" in text
    assert "MARTIN Léa" in text and "Arachides" in text and "PAI (panier repas)" in text
    assert "Sans porc" in text
    assert "3 repas réservés sur ce site" in text
    assert "Hugo" not in text  # nothing the kitchen must know about him
    [read] = health_reads()
    assert read.details["where"] == "kitchen_list" and read.details["children"] == 1


def test_bad_list_requests_are_said_in_french(agent_client, planning):
    response = agent_client.get("/admin/listes/appel.pdf?jour=2026-02-31&activite=1")
    assert response.status_code == 400
    assert "Saisissez une date valide." in body(response)
    response = agent_client.get("/admin/listes/adultes.pdf?jour=2026-03-02")
    assert response.status_code == 400 and "Choisissez une activité." in body(response)
    assert agent_client.get("/admin/listes/appel.pdf?activite=999999").status_code == 404
    assert agent_client.get("/admin/listes/appel.pdf?activite=abc").status_code == 404
    assert health_reads() == []


def test_parents_cannot_print_lists(parent_client):
    assert parent_client.get("/admin/listes/cuisine.pdf").status_code in (302, 403)
