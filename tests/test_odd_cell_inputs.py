"""Odd values in a tap or the staff's emergency form (numbers beyond what the database
stores, a date in year 1) get a clear French answer, never an error 500."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import Booking, Request
from tests.helpers import activity, body, child, csrf_from, login, page, upcoming_day

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
ODD = [
    ("enfant", str(2 ** 70)),
    ("enfant", str(2 ** 63)),
    ("enfant", str(2 ** 31)),  # beyond a PostgreSQL integer
    ("enfant", "-1"),
    ("activite", str(2 ** 63)),
    ("activite", str(2 ** 70)),
    ("activite", str(2 ** 31)),
    ("jour", "0001-01-01"),
    ("jour", "9999-12-31"),
]


def cell_fields(day):
    return {"enfant": str(child("Léa").id), "activite": str(activity("APS Soir").id),
            "jour": day.isoformat(), "action": "reserve", "etat": "none"}


def nothing_saved():
    return (db.session.scalar(select(func.count(Request.id))) == 0
            and db.session.scalar(select(func.count(Booking.id)).where(
                Booking.activity_id == activity("APS Soir").id)) == 0)


@pytest.mark.parametrize("name, value", ODD)
def test_an_odd_tap_gets_a_french_answer(client, planning, name, value):
    login(client, *planning.PARENT)
    token = csrf_from(page(client, "/activites"))
    data = dict(cell_fields(upcoming_day(activity("APS Soir"))), **{name: value})
    response = client.post("/activites/case", data=data,
                           headers=dict(HTMX, **{"X-CSRFToken": token}))
    assert response.status_code in (400, 404)
    assert any(words in body(response) for words in (
        "Cette demande n'est pas valide", "Cette page n'existe pas", "Date hors du calendrier"))
    assert nothing_saved()


@pytest.mark.parametrize("name, value", ODD)
def test_an_odd_tap_without_javascript_gets_a_french_page(client, planning, name, value):
    login(client, *planning.PARENT)
    token = csrf_from(page(client, "/activites"))
    data = dict(cell_fields(upcoming_day(activity("APS Soir"))), csrf_token=token,
                **{name: value})
    response = client.post("/activites/case", data=data)
    assert response.status_code in (400, 404)
    assert "<html" in body(response) and "Une erreur est survenue" not in body(response)
    assert nothing_saved()


@pytest.mark.parametrize("name, value", ODD)
def test_an_odd_cell_asked_again_is_refused(client, planning, name, value):
    login(client, *planning.PARENT)
    fields = dict(cell_fields(upcoming_day(activity("APS Soir"))), **{name: value})
    response = client.get("/activites/case", query_string={
        k: fields[k] for k in ("enfant", "activite", "jour")}, headers=HTMX)
    if name == "jour":  # a day out of the planning's calendar is refused as such
        assert response.status_code == 400 and "Date hors du calendrier" in body(response)
    else:
        assert response.status_code == 404 and "Cette page n'existe pas" in body(response)


@pytest.mark.parametrize("name, value, message", [
    ("child_id", str(2 ** 70), "N'est pas un choix valide."),
    ("activity_id", str(2 ** 63), "N'est pas un choix valide."),
    ("day", "0001-01-01", "Saisissez une date entre le"),
    ("day", "9999-12-31", "Saisissez une date entre le"),
])
def test_odd_values_in_the_emergency_form_are_refused_in_french(agent_client, planning,
                                                                 name, value, message):
    family = child("Léa").family
    url = f"/admin/familles/{family.id}/urgence"
    data = {"csrf_token": csrf_from(page(agent_client, url)), "action": "reserve",
            "child_id": child("Léa").id, "activity_id": activity("APS Soir").id,
            "day": upcoming_day(activity("APS Soir")).isoformat(),
            "reason": "Appel de la mère ce matin"}
    response = agent_client.post(url, data=dict(data, **{name: value}))
    assert response.status_code == 422
    assert message in body(response)
    assert db.session.scalar(select(func.count(Request.id))) == 0
