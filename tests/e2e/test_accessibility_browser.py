"""Issue 14: axe-core finds nothing on any parent page, at a phone's and a desktop's
width, nor on the planning after a tap and after moving to another period."""
import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import fill_login
from tests.e2e.test_pages_fit_a_phone import pages
from tests.helpers import activity, child, upcoming_day

pytestmark = pytest.mark.e2e


def parent_urls(app):
    return [u for u in pages(app, "/", exclude=("/admin", "/static"))
            if u not in ("/deconnexion",)]


def test_every_parent_page_passes_axe_on_a_phone(app, phone, planning):
    fill_login(phone, *planning.PARENT)
    urls = parent_urls(app)
    assert "/activites" in urls and "/compte" in urls
    for url in urls:
        phone.goto(url)
        assert_accessible(phone)
    for view in ("mois", "semaine5", "jour", "liste"):
        phone.goto(f"/activites?vue={view}")
        assert_accessible(phone)


def test_the_planning_passes_axe_on_a_desktop(desktop, planning):
    fill_login(desktop, *planning.PARENT)
    for view in ("mois", "semaine", "semaine5", "jour", "liste"):
        desktop.goto(f"/activites?vue={view}")
        assert_accessible(desktop)


def test_the_planning_passes_axe_after_each_swap(phone, planning, rq_worker):
    fill_login(phone, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"), days_ahead=7)
    phone.goto(f"/activites?vue=semaine&date={day.isoformat()}")
    title = phone.locator("#planning-title").inner_text()
    phone.get_by_role("link", name="Période suivante").click()
    expect(phone.locator("#planning-title")).not_to_have_text(title)
    assert_accessible(phone)
    phone.get_by_role("link", name="Période précédente").click()
    expect(phone.locator("#planning-title")).to_have_text(title)
    cell = phone.locator(f"#cell-{child('Hugo').id}-{activity('APS Soir').id}-{day:%Y%m%d}")
    cell.get_by_role("button").click()
    expect(cell).to_contain_text("en attente")
    assert_accessible(phone)
    expect(cell).not_to_contain_text("en attente", timeout=20_000)
    assert_accessible(phone)
