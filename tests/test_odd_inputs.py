"""Odd inputs get a clear French answer (400, 404, 422), never a 500: a bad token asked
by htmx, a retry of a job that does not exist, a birth date in year 0001."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import ChangeRequest, Child
from models.clock import paris_today
from tests.family_helpers import child, edit, family, guardian
from tests.helpers import body, csrf_from, page

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.mark.parametrize("url, message", [
    ("/inscription/confirmer/pas-un-jeton", "Ce lien n'est pas valide."),
    ("/mot-de-passe/pas-un-jeton", "Ce lien n'est pas valide"),
    ("/compte/email/pas-un-jeton", "Ce lien n'est pas valide"),
])
def test_a_bad_token_asked_by_htmx_is_a_400_fragment(client, demo, url, message):
    for headers in (HTMX, {}):
        response = client.get(url, headers=headers)
        assert response.status_code == 400, (url, headers)
        assert message in body(response)
    assert "<html" not in body(client.get(url, headers=HTMX))


def test_retrying_a_job_that_does_not_exist_is_a_404(agent_client):
    token = csrf_from(page(agent_client, "/admin/taches"))
    for key in ("x", "email-999999"):
        response = agent_client.post(f"/admin/taches/job/{key}/relancer",
                                     data={"csrf_token": token})
        assert response.status_code == 404, key
        assert "Cette tâche n'est plus dans la liste des tâches en échec" in body(response)


def years_ago(years):
    today = paris_today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


CHILD_DATES = [("0001-01-01", "Vérifiez l'année : un enfant inscrit au service a moins de 25 ans."),
               ("1800-06-01", "un enfant inscrit au service a moins de 25 ans"),
               (years_ago(26).isoformat(), "un enfant inscrit au service a moins de 25 ans"),
               ((paris_today() + timedelta(days=2)).isoformat(),
                "La date de naissance ne peut pas être dans le futur.")]


def change_count():
    return db.session.scalar(select(func.count(ChangeRequest.id)))


@pytest.mark.parametrize("typed, message", CHILD_DATES)
def test_a_parent_cannot_ask_an_impossible_birth_date(parent_client, typed, message):
    lea, before = child("MARTIN", "Léa"), change_count()
    response = edit(parent_client, f"/ma-famille/enfants/{lea.id}/informations/modifier",
                    {"birth_date": typed})
    assert response.status_code == 422 and message in body(response)
    assert change_count() == before


def test_staff_edits_and_creations_refuse_impossible_birth_dates(agent_client):
    lea, claire = child("MARTIN", "Léa"), guardian("MARTIN", "Claire")
    for typed, message in CHILD_DATES:
        response = edit(agent_client, f"/admin/enfants/{lea.id}/informations/modifier",
                        {"birth_date": typed})
        assert response.status_code == 422 and message in body(response), typed
        url = f"/admin/familles/{family('MARTIN').id}/enfants/nouveau"
        response = agent_client.post(url, data={
            "csrf_token": csrf_from(page(agent_client, url)), "first_name": "Zoé",
            "last_name": "Martin", "birth_date": typed, "sex": "F"})
        assert response.status_code == 422 and message in body(response), typed
    assert child("MARTIN", "Léa").birth_date == date(2017, 5, 12)
    assert db.session.scalar(select(func.count()).select_from(Child).where(
        Child.first_name == "Zoé")) == 0
    for typed in ("0001-01-01", "1899-12-31"):
        response = edit(agent_client, f"/admin/responsables/{claire.id}/modifier",
                        {"birth_date": typed})
        assert response.status_code == 422, typed
        assert "la date de naissance ne peut pas être avant 1900" in body(response)
    # A young adult still followed by the service, and a guardian born in 1950, are fine.
    assert edit(agent_client, f"/admin/enfants/{lea.id}/informations/modifier",
                {"birth_date": years_ago(24).isoformat()}).status_code == 302
    assert edit(agent_client, f"/admin/responsables/{claire.id}/modifier",
                {"birth_date": "1950-02-03"}).status_code == 302
