"""A parent on a phone books a day of after-school care with a tap and watches the cell
settle, with a real `rq worker` deciding; the back button returns to the week before."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import Town
from models.calendar import first_school_day
from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, upcoming_day

pytestmark = pytest.mark.e2e


@pytest.fixture
def planning_day(demo):
    return upcoming_day(activity("APS Soir"), days_ahead=10)


def test_tap_a_cell_on_a_phone(phone, demo, planning_day, rq_worker):
    fill_login(phone, *demo.PARENT)
    expect(phone.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
    week_before = planning_day - timedelta(days=7)
    phone.goto(f"/activites?vue=semaine&date={week_before.isoformat()}")
    first_title = phone.locator("#planning-title").inner_text()
    phone.evaluate("window.samePage = true")

    phone.get_by_role("link", name="Période suivante").click()
    expect(phone.locator("#planning-title")).not_to_have_text(first_title)
    monday = planning_day - timedelta(days=planning_day.weekday())
    landing = first_school_day(monday, monday + timedelta(days=6), Town.current().holiday_zone)
    expect(phone).to_have_url(re.compile(rf"date={landing.isoformat()}"))

    cell = phone.locator(f"#cell-{child('Léa').id}-{activity('APS Soir').id}-"
                         f"{planning_day:%Y%m%d}")
    expect(cell).to_contain_text("Non réservé")
    cell.get_by_role("button").click()
    expect(cell).to_contain_text("Réservation en attente")
    expect(cell).to_contain_text("Réservé", timeout=20_000)
    expect(cell).not_to_contain_text("en attente")
    assert phone.evaluate("window.samePage") is True  # settled without a reload

    # The week reads as one day under another: nothing scrolls sideways at 360 px.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.go_back()
    expect(phone).to_have_url(re.compile(rf"date={week_before.isoformat()}"))
    expect(phone.locator("#planning-title")).to_have_text(first_title)
