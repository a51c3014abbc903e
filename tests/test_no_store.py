"""Pages with health, bank or message content are never kept by a cache, the
browser's included (`no-store`): a shared canteen tablet shows nothing with Back after
logout. Every page of a logged-in person is so; these are the ones that matter most."""
import pytest
from sqlalchemy import select

from extensions import db
from models import ContactThread, Family
from tests.helpers import child, login, submit

STAFF_PAGES = [
    "/admin/pointage",           # health data (allergies, PAI) at the roll call
    "/admin/repas",              # diets and allergies for the kitchen
    "/admin/messages",
    "/admin/messages/{thread}",
    "/admin/familles/{family}",  # the whole family file
    "/admin/familles/{family}/facturation",
    "/admin/factures",
    "/admin/documents",
    "/admin/modifications",
    "/admin/prelevements",
]
PARENT_PAGES = [
    "/nous-contacter",
    "/nous-contacter/{thread}",
    "/ma-famille/",
    "/ma-famille/enfants/{child}/sante",
    "/facturation/",
    "/documents",
    "/mes-demandes",
    "/",
]


@pytest.fixture
def thread_id(client, demo):
    login(client, *demo.PARENT)
    submit(client, "/nous-contacter", {"subject": "Allergie de Léa",
                                       "body": "Léa est allergique aux arachides.",
                                       "child": ""})
    client.post("/deconnexion")
    client.delete_cookie("portail_session")
    return db.session.scalar(select(ContactThread.id).order_by(ContactThread.id.desc()))


def _urls(pages, thread):
    family = db.session.scalar(select(Family.id).where(Family.name == "MARTIN"))
    return [url.format(thread=thread, family=family, child=child("Léa").id) for url in pages]


def _check(client, urls):
    problems = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            problems.append((url, response.status_code))
        elif "no-store" not in response.headers.get("Cache-Control", ""):
            problems.append((url, response.headers.get("Cache-Control")))
    assert problems == []


def test_staff_pages_with_health_bank_or_messages_are_not_stored(other_client, demo,
                                                                 thread_id):
    login(other_client, *demo.AGENT)
    _check(other_client, _urls(STAFF_PAGES, thread_id))


def test_parent_pages_with_health_bank_or_messages_are_not_stored(other_client, demo,
                                                                  thread_id):
    login(other_client, *demo.PARENT)
    _check(other_client, _urls(PARENT_PAGES, thread_id))
