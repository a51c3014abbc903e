"""Taking a tap back on a 360 px phone: « Annuler ma demande » right after the tap,
« Revenir en arrière » once it settled, with the time left; the focus stays on the cell
and a live region says what happened; axe-core finds nothing. The live server runs in
this process: the emails are grouped as in production."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Request
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import fill_login
from tests.helpers import activity, booking_state, child, upcoming_day

pytestmark = pytest.mark.e2e


@pytest.fixture
def grouped(app):
    app.config["EMAIL_GROUP_SECONDS"] = 120
    yield
    app.config["EMAIL_GROUP_SECONDS"] = 0


def test_undo_a_tap_on_a_phone(phone, planning, rq_worker, mailbox, grouped):
    fill_login(phone, *planning.PARENT)
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=7)
    phone.goto(f"/activites?vue=semaine&date={day.isoformat()}")
    cell = phone.locator(f"#cell-{child('Léa').id}-{aps.id}-{day:%Y%m%d}")
    expect(cell.get_by_role("button")).to_have_text("Réserver")
    cell.get_by_role("button").click()
    # Right after the tap: the way back, with the time left, and the focus on it.
    undo = cell.get_by_role("button", name="Annuler ma demande")
    expect(undo).to_be_visible()
    expect(cell.locator(".cell__undo-left")).to_have_text("encore 15 min")
    expect(undo).to_be_focused()
    # Settled by the worker: « Revenir en arrière » keeps the focus.
    back = cell.get_by_role("button", name="Revenir en arrière")
    expect(back).to_be_focused(timeout=20_000)
    expect(phone.locator("#announce")).to_contain_text("Réservé")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    box = back.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    assert_accessible(phone)

    phone.keyboard.press("Enter")
    expect(cell).to_contain_text("Demande annulée : la case est revenue à « Non réservé ».")
    expect(phone.locator("#announce")).to_contain_text("Demande annulée")
    expect(cell.get_by_role("button", name="Revenir en arrière")).to_have_count(0)
    expect(cell.get_by_role("button")).to_be_focused()
    expect(cell.get_by_role("button")).to_have_text("Réserver")
    assert_accessible(phone)
    db.session.rollback()
    assert booking_state("Léa", "APS Soir", day) == "none"
    assert db.session.scalar(select(Request.undone_at)) is not None
    assert mailbox.to(planning.PARENT[0]) == []  # the decision email had not gone


def test_undo_from_mes_demandes_on_a_phone(phone, planning, rq_worker, grouped):
    fill_login(phone, *planning.PARENT)
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=7)
    phone.goto(f"/activites?vue=semaine&date={day.isoformat()}")
    cell = phone.locator(f"#cell-{child('Hugo').id}-{aps.id}-{day:%Y%m%d}")
    cell.get_by_role("button").click()
    expect(cell.get_by_role("button", name="Revenir en arrière")).to_be_visible(timeout=20_000)
    phone.goto("/mes-demandes")
    assert_accessible(phone)
    phone.get_by_role("button", name="Revenir en arrière").click()
    expect(phone.get_by_text("Demande annulée : la case est revenue à « Non réservé ».")
           ).to_be_visible()
    expect(phone.get_by_role("button", name="Revenir en arrière")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
