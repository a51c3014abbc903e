"""Issue 14 on a phone: the week fits a few lines a day, the first screen shows cells,
« Semaine prochaine » and the date input jump, the month is a real calendar, and
after a swap the focus stays on what changed while a live region says it."""
import os

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, upcoming_day

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("PORTAIL_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_week_on_a_phone_shows_cells_on_the_first_screen(phone, planning):
    fill_login(phone, *planning.PARENT)
    day = upcoming_day(activity("Restauration scolaire"), days_ahead=7)
    phone.goto(f"/activites?vue=semaine&date={day.isoformat()}")
    shot(phone, "week")
    top = phone.locator(".cell").first.bounding_box()["y"]
    assert top + 44 < 740, f"the week's first cell starts at {top} px"
    cell = phone.locator(f"#cell-{child('Léa').id}-{activity('Restauration scolaire').id}-"
                         f"{day:%Y%m%d}")
    # The verb is on the button at every width.
    expect(cell.get_by_role("button")).to_have_text("Signaler une absence")  # demo: reserved
    verbs = set(phone.locator(".cell__button").all_inner_texts())
    assert verbs == {"Réserver", "Signaler une absence"}, verbs
    # The deadline once per activity of the day, not once per cell.
    section = phone.locator(f"section[aria-labelledby='day-{day.isoformat()}']")
    assert section.locator(".group__deadline").count() == section.locator(".group").count()
    assert section.locator(".cell").count() > section.locator(".group").count()


def test_this_week_opens_on_today_or_the_next_school_day(phone, planning):
    fill_login(phone, *planning.PARENT)
    phone.goto("/activites")
    shot(phone, "this-week")
    # Days gone by fold to one line: today's (or the next school day's) cells come first.
    first = phone.locator(".day:not(.day--past):not(.day--empty) .cell").first
    if first.count():  # a week in the holidays has none
        assert first.bounding_box()["y"] + 44 < 740
    expect(phone.locator(".day--past .cell").first).not_to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_jump_to_a_date_and_next_week(phone, planning):
    fill_login(phone, *planning.PARENT)
    phone.goto("/activites?vue=semaine")
    phone.evaluate("window.samePage = true")
    phone.get_by_role("link", name="Semaine prochaine").click()
    expect(phone.locator("#planning-title")).to_be_focused()
    target = upcoming_day(activity("Restauration scolaire"), days_ahead=40)
    phone.get_by_label("Aller au").fill(target.isoformat())
    phone.get_by_role("button", name="Afficher").click()
    expect(phone.locator(f"#day-{target.isoformat()}")).to_be_visible()
    expect(phone.locator("#planning-title")).to_be_focused()
    assert phone.evaluate("window.samePage") is True


def test_month_is_a_calendar_on_a_phone(phone, planning):
    fill_login(phone, *planning.PARENT)
    day = upcoming_day(activity("Restauration scolaire"), days_ahead=7)
    phone.goto(f"/activites?vue=mois&date={day.isoformat()}")
    shot(phone, "month")
    link = phone.locator(f"section[aria-labelledby='day-{day.isoformat()}'] .day__dots")
    boxes = phone.locator(".planning-grid--mois > .day").evaluate_all(
        "days => days.slice(0, 7).map(d => Math.round(d.getBoundingClientRect().top))")
    assert len(set(boxes)) == 1, boxes  # a week is one row of seven days
    expect(link.locator(".dot")).not_to_have_count(0)
    link.click()
    expect(phone.locator("#planning-title")).to_contain_text(str(day.day))
    canteen = activity("Restauration scolaire")
    expect(phone.locator(f"#cell-{child('Léa').id}-{canteen.id}-{day:%Y%m%d}")).to_be_visible()


def test_a_tap_keeps_the_focus_and_is_announced(phone, planning, rq_worker):
    fill_login(phone, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"), days_ahead=7)
    phone.goto(f"/activites?vue=semaine&date={day.isoformat()}")
    cell = phone.locator(f"#cell-{child('Léa').id}-{activity('APS Soir').id}-{day:%Y%m%d}")
    cell.get_by_role("button").click()
    announce = phone.locator("#announce")
    expect(announce).to_contain_text("Réservation en attente")
    expect(announce).to_contain_text("Réservé", timeout=20_000)
    expect(announce).not_to_contain_text("en attente")
    # Focus is on the settled cell's button, not lost to <body>: for 15 minutes the one
    # that takes the tap back (tests/e2e/test_undo_browser.py).
    expect(cell.get_by_role("button")).to_be_focused()
    expect(cell.get_by_role("button")).to_contain_text("Revenir en arrière")
    shot(phone, "tapped")
