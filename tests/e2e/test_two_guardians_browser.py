"""Two guardians on two phones see the same free cell; one reserves it; the other's
screen still says « Non réservé — Réserver »: his tap must not declare an absence. A
real `rq worker` decides."""
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Guardian, RequestLine, User
from tests.e2e.conftest import PHONE, fill_login
from tests.helpers import activity, child, upcoming_day

pytestmark = pytest.mark.e2e
THOMAS = ("thomas@example.net", "le mot de passe de thomas")


@pytest.fixture
def thomas_phone(browser, live_server, demo):
    """Thomas MARTIN, Claire's co-guardian, on a phone of his own (its own cookies)."""
    guardian = db.session.scalar(select(Guardian).where(Guardian.first_name == "Thomas"))
    user = User(email=THOMAS[0], guardian=guardian, confirmed_at=datetime.now())
    user.set_password(THOMAS[1])
    db.session.add(user)
    db.session.commit()
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == [], errors


def test_a_stale_reserve_button_does_not_declare_an_absence(phone, thomas_phone, demo,
                                                            rq_worker):
    day = upcoming_day(activity("APS Soir"), days_ahead=10)
    week = f"/activites?vue=semaine&date={day.isoformat()}"
    cell_id = f"#cell-{child('Léa').id}-{activity('APS Soir').id}-{day:%Y%m%d}"
    fill_login(phone, *demo.PARENT)
    fill_login(thomas_phone, *THOMAS)
    for page in (phone, thomas_phone):
        expect(page.get_by_role("heading", name="Bonjour")).to_be_visible()
        page.goto(week)
        expect(page.locator(cell_id)).to_contain_text("Non réservé")

    claire_cell, thomas_cell = phone.locator(cell_id), thomas_phone.locator(cell_id)
    claire_cell.get_by_role("button").click()
    expect(claire_cell).to_contain_text("Réservé", timeout=20_000)
    expect(claire_cell).not_to_contain_text("en attente")

    expect(thomas_cell).to_contain_text("Réserver")  # his screen has not changed
    thomas_cell.get_by_role("button").click()
    expect(thomas_cell).to_contain_text("Cette case a changé entre-temps : Réservé. "
                                        "Rien n'a été demandé.")
    expect(thomas_cell.get_by_role("button")).to_contain_text("Signaler une absence")
    db.session.rollback()
    assert db.session.scalars(select(RequestLine.action)).all() == ["reserve"]
