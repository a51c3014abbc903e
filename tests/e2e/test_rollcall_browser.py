"""The roll call on a tablet: one tap per child, no page reload."""
import pytest
from playwright.sync_api import expect

from extensions import db
from models import User
from models.attendance import Attendance
from models.db_tools import begin_write
from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, latest_day
from tests.test_staff_operations import reserve

pytestmark = pytest.mark.e2e


def test_roll_call_on_a_tablet(tablet, planning):
    canteen = activity("Restauration scolaire")
    day = latest_day(canteen)  # marked on the day, or after
    for who in ("Léa", "Hugo"):
        reserve(who, "Restauration scolaire", day)
    fill_login(tablet, *planning.AGENT)
    tablet.goto(f"/admin/pointage?jour={day.isoformat()}&activite={canteen.id}")
    tablet.evaluate("window.samePage = true")
    expect(tablet.get_by_text("2 attendus · 0 présent · 0 absent · 2 à pointer")).to_be_visible()

    lea = tablet.locator(f"#rollcall-{child('Léa').id}")
    lea.get_by_role("button", name="Présent").click()
    expect(lea.get_by_role("button", name="Présent")).to_have_attribute("aria-pressed", "true")

    hugo = tablet.locator(f"#rollcall-{child('Hugo').id}")
    hugo.get_by_role("button", name="Absent").click()
    expect(hugo.get_by_role("button", name="malade")).to_be_visible()
    hugo.get_by_role("button", name="malade").click()
    expect(hugo.get_by_role("button", name="malade")).to_have_attribute("aria-pressed", "true")
    box = hugo.get_by_role("button", name="Absent").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 88  # tablet-sized targets
    assert tablet.evaluate("window.samePage") is True

    # The counters follow each tap, without a reload.
    expect(tablet.get_by_text("2 attendus · 1 présent · 1 absent · 0 à pointer")).to_be_visible()

    # Another agent marks Léa absent: the list shows it within seconds, still same page.
    agent = db.session.scalar(db.select(User).where(User.email == planning.AGENT[0]))
    lea_id = child("Léa").id
    begin_write()  # the web server wrote since this session last read
    Attendance.mark(lea_id, canteen.id, day, "absent", agent)
    db.session.commit()
    expect(lea.get_by_role("button", name="Absent")).to_have_attribute(
        "aria-pressed", "true", timeout=9000)
    expect(tablet.get_by_text("2 attendus · 0 présent · 2 absents · 0 à pointer")).to_be_visible()
    assert tablet.evaluate("window.samePage") is True
