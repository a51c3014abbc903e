"""A parent on a phone (360 px) joins the waiting list of a full day, another booking is
cancelled, the real `rq worker` gives the freed place to the first in line, and the cell
in line settles to « Réservé » by itself."""
import pytest
from playwright.sync_api import expect

from extensions import db
from models import Booking
from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, upcoming_day

pytestmark = pytest.mark.e2e


@pytest.fixture
def full_day(demo):
    """APS Soir with one place, taken by Hugo, and a waiting list."""
    aps = activity("APS Soir")
    aps.capacity, aps.waiting_list, aps.promote_by_hand = 1, True, False
    aps.deadline_days, aps.deadline_working_days = 0, False
    day = upcoming_day(aps, days_ahead=3, a_child=child("Léa"))
    db.session.add(Booking(child_id=child("Hugo").id, activity_id=aps.id, day=day,
                           state="reserved"))
    db.session.commit()
    return day


def test_join_a_waiting_list_and_be_promoted_on_a_phone(phone, demo, full_day, rq_worker):
    aps = activity("APS Soir")
    fill_login(phone, *demo.PARENT)
    expect(phone.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
    phone.goto(f"/activites?vue=semaine&date={full_day.isoformat()}")
    phone.evaluate("window.samePage = true")
    lea = phone.locator(f"#cell-{child('Léa').id}-{aps.id}-{full_day:%Y%m%d}")
    hugo = phone.locator(f"#cell-{child('Hugo').id}-{aps.id}-{full_day:%Y%m%d}")
    expect(lea).to_contain_text("Complet : votre demande ira en liste d'attente")

    lea.get_by_role("button").click()
    expect(lea).to_contain_text("Réservation en attente")
    expect(lea).to_contain_text("En liste d'attente (rang 1)", timeout=20_000)

    # Hugo will not come: his absence frees the place, the worker promotes Léa.
    hugo.get_by_role("button", name="Signaler une absence").click()
    expect(hugo).to_contain_text("Absent", timeout=20_000)
    expect(lea).to_contain_text("Réservé", timeout=30_000)
    expect(lea).not_to_contain_text("liste d'attente")
    assert phone.evaluate("window.samePage") is True  # settled without a reload
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
