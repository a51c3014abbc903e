"""On a phone: a reserved day past its deadline links to the illness form; the parent
declares the child ill, the cell is released, and the page says what to send by when."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Booking
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, today, upcoming_day

pytestmark = pytest.mark.e2e
CANTEEN = "Restauration scolaire"


def test_declaring_an_illness_on_a_phone(phone, planning):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, 1, child("Léa"))
    cell = db.session.scalar(select(Booking).where(
        Booking.child_id == child("Léa").id, Booking.activity_id == canteen.id,
        Booking.day == day))
    if cell is None:
        db.session.add(Booking(child_id=child("Léa").id, activity_id=canteen.id, day=day,
                               state="reserved"))
    else:
        cell.state = "reserved"
    canteen.cancel_deadline_kind = "days_before"
    canteen.cancel_deadline_days = (day - today()).days + 1
    canteen.cancel_deadline_working_days = False
    db.session.commit()

    fill_login(phone, *planning.PARENT)
    phone.goto(f"/activites?vue=jour&date={day.isoformat()}")
    box = phone.locator(f"#cell-{child('Léa').id}-{canteen.id}-{day:%Y%m%d}")
    expect(box).to_contain_text("Réservé")
    box.get_by_role("link", name="Malade ? Déclarer l'absence").click()
    expect(phone.get_by_role("heading", name="Déclarer une absence pour maladie")).to_be_visible()
    expect(phone.get_by_label("Enfant malade")).to_have_value(str(child("Léa").id))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.get_by_role("button", name="Déclarer l'absence").click()
    expect(phone.get_by_text("Absence pour maladie enregistrée")).to_be_visible()
    expect(phone.get_by_text("Envoyez un certificat médical avant le").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.goto(f"/activites?vue=jour&date={day.isoformat()}")
    expect(box).not_to_contain_text("Réservé")
