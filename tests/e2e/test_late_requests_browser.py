"""Late requests on a phone (issue 13): the cell says what a late tap would do, the tap
is submitted to the service and the cell says it waits for them; an agent accepts it
from the queue. At 360 px, axe-core finds nothing."""
import pytest
from playwright.sync_api import expect

from extensions import db
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, make_late, upcoming_day

pytestmark = pytest.mark.e2e


def test_a_late_tap_goes_to_the_service_who_accept_it(phone, planning, rq_worker):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=1, a_child=child("Léa"))
    make_late(aps, day)
    aps.late_reserve_policy = "staff"
    db.session.commit()

    fill_login(phone, *planning.PARENT)
    phone.goto(f"/activites?vue=semaine&date={day.isoformat()}")
    cell = phone.locator(f"#cell-{child('Léa').id}-{aps.id}-{day:%Y%m%d}")
    expect(cell).to_contain_text("Hors délai : sera soumis au service")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    cell.get_by_role("button").click()
    expect(cell).to_contain_text("en attente de la décision du service", timeout=20_000)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)

    phone.context.clear_cookies()
    fill_login(phone, *planning.AGENT)
    phone.goto("/admin/hors-delai")
    expect(phone.get_by_role("heading", name="Demandes hors délai")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("famille MARTIN")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.get_by_role("button", name="Accepter").click()
    expect(phone.locator("body")).to_contain_text("Demande acceptée")
    expect(phone.locator("main")).to_contain_text("Aucune demande hors délai à examiner.")
