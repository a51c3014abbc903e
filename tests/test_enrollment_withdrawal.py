"""Staff withdraw a child from an activity: its cells still to come are released (no
longer expected, counted for meals or billed) and the family is told by email."""
import csv
import io
from datetime import date

from sqlalchemy import func, select

from extensions import db
from models import Booking, Enrollment, Family
from models.calendar import school_year_of
from models.clock import paris_today
from tests.helpers import activity, body, child, csrf_from, login, page, text_of, upcoming_day

CANTEEN = "Restauration scolaire"


def set_state(who, what, day, state):
    booking = db.session.scalar(select(Booking).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day)) or Booking(child_id=child(who).id,
                                         activity_id=activity(what).id, day=day)
    booking.state = state
    db.session.add(booking)
    db.session.commit()


def state(who, what, day):
    return db.session.scalar(select(Booking.state).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day).execution_options(populate_existing=True))


def meals_on(client, day):
    """Meals the kitchen's sheet counts that day, every site together."""
    response = client.get(f"/admin/repas?depuis={day.isoformat()}&jours=1&format=csv")
    sheet = io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))
    return sum(int(row[-1]) for row in list(csv.reader(sheet, delimiter=";"))[1:])


def test_withdrawing_a_child_releases_its_bookings_and_tells_the_family(
        client, other_client, planning, run_jobs, mailbox):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, days_ahead=3)
    later = upcoming_day(canteen, days_ahead=(day - paris_today()).days + 1)
    set_state("Léa", CANTEEN, day, "reserved")
    set_state("Léa", CANTEEN, later, "pending_reservation")
    set_state("Hugo", CANTEEN, day, "reserved")
    login(client, *planning.AGENT)
    meals_before = meals_on(client, day)
    to_release = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.child_id == child("Léa").id, Booking.activity_id == canteen.id,
        Booking.day > paris_today(), Booking.state.in_(("reserved", "pending_reservation"))))
    assert to_release >= 2  # the demo's reservations of the coming weeks, and ours

    martin = db.session.scalar(select(Family).where(Family.name == "MARTIN"))
    year = school_year_of(day)
    url = f"/admin/familles/{martin.id}/inscriptions?annee={year}"
    keep = {}
    for child_id, activity_id, _year in Enrollment.keys_for(
            [c.id for c in martin.children], [year]):
        if (child_id, activity_id) != (child("Léa").id, canteen.id):
            keep.setdefault(f"child-{child_id}", []).append(str(activity_id))
    form = page(client, url)
    assert "les réservations de l'enfant à partir de demain sont annulées" in form
    response = client.post(f"/admin/familles/{martin.id}/inscriptions", data={
        "csrf_token": csrf_from(form), "annee": year, **keep})
    assert response.status_code == 302
    assert (f"{to_release} réservation(s) libérée(s), la famille est prévenue par email."
            in body(client.get(response.headers["Location"])))

    assert (child("Léa").id, canteen.id, year) not in Enrollment.keys_for([child("Léa").id],
                                                                          [year])
    assert state("Léa", CANTEEN, day) == "none" and state("Léa", CANTEEN, later) == "none"
    assert state("Hugo", CANTEEN, day) == "reserved"
    assert meals_on(client, day) == meals_before - 1
    run_jobs()
    email = text_of(mailbox.wait_for(planning.PARENT[0], "Inscription retirée"))
    assert "a mis fin à une inscription pour l'année scolaire" in email
    assert email.count("Léa, Restauration scolaire") == to_release and "Hugo" not in email


def test_todays_and_past_cells_stay_as_they_are(app, planning):
    """The day under way is kept (its meals are ordered, the roll call may be taken); the
    cells of another school year are not touched."""
    lea, canteen = child("Léa"), activity(CANTEEN)
    db.session.add(Enrollment(child_id=lea.id, activity_id=canteen.id, school_year=2020))
    days = [date(2020, 9, 14), date(2020, 9, 15), date(2020, 9, 17), date(2021, 9, 6)]
    for day in days:
        set_state("Léa", CANTEEN, day, "reserved")
    released = Enrollment.withdraw(lea.id, {canteen.id}, 2020, today=date(2020, 9, 15))
    db.session.commit()
    assert [b.day for b in released] == [date(2020, 9, 17)]
    assert [state("Léa", CANTEEN, day) for day in days] == [
        "reserved", "reserved", "none", "reserved"]
    assert Enrollment.keys_for([lea.id], [2020]) == set()
