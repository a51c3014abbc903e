"""The secret calendar feed of a family's planning (iCalendar, read back with
`icalendar`): one per guardian, no login, a revoked or replaced link is a 404, the
events keep their UIDs from one fetch to the next."""
import re
from datetime import datetime, timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from extensions import db
from models import Booking, CalendarFeed, Closure
from models.clock import PARIS
from models.planning import PENDING_RESERVATION, RESERVED
from tests.helpers import activity, body, child, csrf_from, page, today, upcoming_day

CANTEEN = "Restauration scolaire"
EVENING = "APS Soir"


def issue(client):
    token = csrf_from(page(client, "/compte"))
    response = client.post("/compte/agenda", data={"csrf_token": token})
    assert response.status_code == 200
    html = body(response)
    url = re.search(r'id="feed-url" type="text" value="([^"]+)"', html).group(1)
    assert 'href="webcal://localhost/agenda/' in html
    return url.replace("http://localhost", "")


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"]
    return Calendar.from_ical(response.data)


def events(calendar):
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_feed_holds_bookings_closures_and_holidays(parent_client, other_client, planning):
    evening = activity(EVENING)
    day = upcoming_day(evening, 5, child("Léa"))
    db.session.add(Booking(child_id=child("Léa").id, activity_id=evening.id, day=day,
                           state=PENDING_RESERVATION))
    closed = upcoming_day(activity(CANTEEN), 20)
    db.session.add(Closure(activity_id=activity(CANTEEN).id, first_day=closed,
                           last_day=closed + timedelta(days=1), reason="Grève"))
    db.session.commit()
    path = issue(parent_client)
    assert path.startswith("/agenda/") and path.endswith(".ics")
    # No login: the token is the credential (another browser, nobody logged in).
    calendar = fetch(other_client, path)
    assert calendar.get("X-WR-CALNAME") == "Planning de la famille MARTIN"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
    found = events(calendar)
    # Every reserved canteen day of the MARTIN children is there, at its hours in Paris.
    reserved = db.session.scalars(select(Booking).where(
        Booking.state == RESERVED, Booking.day >= today() - timedelta(days=31))).all()
    assert reserved
    for booking in reserved:
        uid = f"booking-{booking.child_id}-{booking.activity_id}-{booking.day}@localhost"
        event = found[uid]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == datetime.combine(booking.day, booking.activity.start_time, tzinfo=PARIS)
        assert str(start.tzinfo) == "Europe/Paris"
        assert end == datetime.combine(booking.day, booking.activity.end_time, tzinfo=PARIS)
        assert str(event["SUMMARY"]) == f"{booking.child.first_name} — {booking.activity.name}"
        assert str(event["STATUS"]) == "CONFIRMED"
    waiting = found[f"booking-{child('Léa').id}-{evening.id}-{day}@localhost"]
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert str(waiting["DESCRIPTION"]) == "Réservation en attente"
    # Nothing of the other family.
    jules = child("Jules").id
    assert not [uid for uid in found if uid.startswith(f"booking-{jules}-")]
    closure = next(e for uid, e in found.items() if uid.startswith("closure-"))
    assert str(closure["SUMMARY"]) == f"Fermeture : {CANTEEN}"
    assert closure.decoded("DTSTART") == closed
    assert closure.decoded("DTEND") == closed + timedelta(days=2)  # all-day, exclusive end
    holidays = [e for uid, e in found.items() if uid.startswith("holidays-B-")]
    assert any(str(e["SUMMARY"]).startswith("Vacances d") for e in holidays)
    assert all(e.decoded("DTEND") > e.decoded("DTSTART") for e in holidays)
    # A second fetch gives the same events under the same UIDs.
    again = events(fetch(other_client, path))
    assert set(again) == set(found)
    assert all(again[uid].decoded("DTSTART") == found[uid].decoded("DTSTART") for uid in found)


def test_revoked_or_replaced_link_is_404_and_only_a_hash_is_kept(parent_client, planning):
    first = issue(parent_client)
    token = first.removeprefix("/agenda/").removesuffix(".ics")
    stored = db.session.scalar(select(CalendarFeed.token_hash))
    assert token not in stored and len(stored) == 64
    second = issue(parent_client)  # « Créer un nouveau lien »
    assert parent_client.get(first).status_code == 404
    assert parent_client.get(second).status_code == 200
    assert db.session.scalar(select(func.count(CalendarFeed.id))) == 1
    html = page(parent_client, "/compte")
    assert "Un lien d'agenda est actif depuis le" in html and token not in html
    response = parent_client.post("/compte/agenda/supprimer",
                                  data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert parent_client.get(second).status_code == 404
    assert parent_client.get("/agenda/not-a-token.ics").status_code == 404
    assert "Créer mon lien d'agenda" in page(parent_client, "/compte")


def test_feed_forms_need_csrf_and_a_parent(client, parent_client, planning):
    assert parent_client.post("/compte/agenda").status_code == 400  # no CSRF token
    assert db.session.scalar(select(func.count(CalendarFeed.id))) == 0


def test_feed_is_rate_limited(app, parent_client, other_client, planning):
    path = issue(parent_client)
    statuses = [other_client.get(path).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_feed_stops_when_the_account_leaves_the_family(parent_client, other_client, planning):
    path = issue(parent_client)
    feed = db.session.scalar(select(CalendarFeed))
    feed.user.guardian_id = None
    db.session.commit()
    assert other_client.get(path).status_code == 404


def test_feed_speaks_the_guardians_language(parent_client, other_client, planning):
    path = issue(parent_client)
    feed = db.session.scalar(select(CalendarFeed))
    feed.user.locale = "en"
    db.session.add(Closure(activity_id=None, first_day=today() + timedelta(days=3),
                           last_day=today() + timedelta(days=3), reason="Training day"))
    db.session.commit()
    calendar = fetch(other_client, path)
    assert str(calendar["X-WR-CALNAME"]) == "MARTIN family's planning"
    closure = next(e for uid, e in events(calendar).items() if uid.startswith("closure-"))
    assert str(closure["SUMMARY"]) == "Closed: All activities"


def test_guessing_tokens_is_limited_per_address(other_client, planning):
    statuses = {other_client.get(f"/agenda/guess-{n}.ics").status_code for n in range(101)}
    assert statuses == {404, 429}
