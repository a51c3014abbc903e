"""On a phone: fill the long-period form, watch the preview follow, send, and see the
planning cells wait then settle."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import fill_login
from tests.helpers import activity, school_weeks_ahead

pytestmark = pytest.mark.e2e


def test_long_period_on_a_phone(phone, planning, rq_worker):
    fill_login(phone, *planning.PARENT)
    phone.goto("/activites")
    phone.get_by_role("link", name="Faire une demande sur une longue période").click()
    expect(phone.get_by_role("heading", name="Demande sur une longue période")).to_be_visible()
    preview = phone.locator("#period-preview")
    expect(preview).to_contain_text("jours seront demandés")

    monday = school_weeks_ahead(activity("APS Soir"), 3)  # a school week, on any day
    phone.get_by_label("Hugo").uncheck()
    for other in ("APS Matin", "Restauration scolaire", "Mercredi JOURNÉE"):
        phone.get_by_label(other).uncheck()
    phone.get_by_label("APS Soir").check()
    phone.get_by_label("Du", exact=True).fill(monday.isoformat())
    phone.get_by_label("Au", exact=True).fill((monday + timedelta(days=4)).isoformat())
    phone.get_by_label("Au", exact=True).dispatch_event("change")
    expect(preview).to_contain_text("Léa — APS Soir")
    expect(preview).not_to_contain_text("Hugo")
    before = preview.inner_text()
    phone.get_by_label("Vendredi").uncheck()
    expect(preview).not_to_have_text(before)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.get_by_role("button", name="Envoyer la demande").click()
    expect(phone.get_by_text("Votre demande sur la période a été envoyée")).to_be_visible()
    cells = phone.locator(".cell", has_text="APS Soir").filter(has_text="Léa")
    expect(cells.first).to_be_visible()
    expect(phone.locator(".cell--pending_reservation").first).to_be_visible()
    expect(phone.locator(".cell--pending_reservation")).to_have_count(0, timeout=20_000)
    thursday = monday + timedelta(days=3)
    expect(phone.locator(f"[id$='-{thursday:%Y%m%d}'].cell--reserved").first).to_be_visible()
