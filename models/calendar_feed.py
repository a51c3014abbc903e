"""A family's planning as an iCalendar feed (RFC 5545), built with `icalendar`: the
children's booked days (each child and activity at its hours, Europe/Paris time with its
VTIMEZONE), the closures of their activities and the school-holiday periods of the town.

Each event's UID is made of what it is about (the child, the activity and the day; the
closure; the holiday period), never of when the feed was built, so a calendar app that
fetches the feed again updates its events instead of doubling them.
"""
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models.calendar import days_between, is_school_holiday, school_holiday_name, school_year_of
from models.clock import PARIS, utcnow
from models.planning import (
    ABSENT,
    NONE,
    PENDING_ABSENCE,
    PENDING_RESERVATION,
    RESERVED,
    WAITING,
    Booking,
    Closure,
    Enrollment,
)

# How far back and ahead the feed goes: calendar apps keep what they fetched before.
DAYS_BACK = 31
DAYS_AHEAD = 400
PRODUCT_ID = "-//Portail Famille//Planning//FR"
# The states a feed shows, and how sure the day is.
SHOWN_STATES = {RESERVED: "CONFIRMED", PENDING_ABSENCE: "CONFIRMED",
                PENDING_RESERVATION: "TENTATIVE", WAITING: "TENTATIVE"}


def _state_words():
    return {RESERVED: _("Réservé"), PENDING_ABSENCE: _("Réservé, absence demandée"),
            PENDING_RESERVATION: _("Réservation en attente"),
            WAITING: _("Sur liste d'attente"), ABSENT: _("Absent"), NONE: ""}


def _stamp(moment):
    """A naive-UTC datetime as the aware UTC one iCalendar wants for DTSTAMP."""
    return (moment or utcnow()).replace(tzinfo=UTC, microsecond=0)


def _uid(kind, *parts, domain):
    return f"{kind}-{'-'.join(str(p) for p in parts)}@{domain}"


def build_feed(family, today, town, domain):
    """The iCalendar text (bytes) of the family's planning around `today`."""
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    title = _("Planning de la famille %(name)s", name=family.name)
    calendar.add("x-wr-calname", title)
    calendar.add("name", title)
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for event in _booking_events(family, first, last, domain):
        calendar.add_component(event)
    for event in _closure_events(family, first, last, domain):
        calendar.add_component(event)
    zone = town.holiday_zone if town else None
    if zone:
        for event in _holiday_events(zone, first, last, domain):
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _booking_events(family, first, last, domain):
    child_ids = [child.id for child in family.children]
    if not child_ids:
        return []
    bookings = db.session.scalars(
        select(Booking).where(Booking.child_id.in_(child_ids),
                              Booking.day.between(first, last),
                              Booking.state.in_(tuple(SHOWN_STATES)))
        .options(selectinload(Booking.child), selectinload(Booking.activity))
        .order_by(Booking.day, Booking.activity_id, Booking.child_id)).all()
    words = _state_words()
    events = []
    for booking in bookings:
        child, activity = booking.child, booking.activity
        event = Event()
        event.add("uid", _uid("booking", child.id, activity.id, booking.day.isoformat(),
                              domain=domain))
        event.add("dtstamp", _stamp(booking.updated_at))
        event.add("summary", f"{child.first_name} — {activity.name}")
        event.add("dtstart", datetime.combine(booking.day, activity.start_time, tzinfo=PARIS))
        event.add("dtend", datetime.combine(booking.day, activity.end_time, tzinfo=PARIS))
        event.add("status", SHOWN_STATES[booking.state])
        event.add("description", words[booking.state])
        event.add("transp", "OPAQUE")
        event.add("categories", [activity.name])
        events.append(event)
    return events


def _closure_events(family, first, last, domain):
    """The closures of the activities the children are enrolled in (or of every one)."""
    child_ids = [child.id for child in family.children]
    years = {school_year_of(first), school_year_of(last)}
    activity_ids = set(db.session.scalars(select(Enrollment.activity_id).distinct().where(
        Enrollment.child_id.in_(child_ids), Enrollment.school_year.in_(years)))) \
        if child_ids else set()
    closures = db.session.scalars(select(Closure).where(
        Closure.first_day <= last, Closure.last_day >= first)
        .options(selectinload(Closure.activity)).order_by(Closure.first_day, Closure.id)).all()
    events = []
    for closure in closures:
        if closure.activity_id is not None and closure.activity_id not in activity_ids:
            continue
        event = Event()
        event.add("uid", _uid("closure", closure.id, domain=domain))
        event.add("dtstamp", _stamp(closure.created_at))
        what = closure.activity.name if closure.activity else _("Toutes les activités")
        event.add("summary", _("Fermeture : %(what)s", what=what))
        event.add("description", closure.reason)
        event.add("dtstart", closure.first_day)
        event.add("dtend", closure.last_day + timedelta(days=1))  # exclusive, all-day
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


def holiday_periods(zone, first, last):
    """[(name, first day, last day)] of the zone's school holidays met from first to
    last (a period cut by the window is given whole as far as the window goes)."""
    periods = []
    current = None
    for day in days_between(first, last):
        if is_school_holiday(day, zone):
            name = school_holiday_name(day, zone)
            if current and current[0] == name and current[2] == day - timedelta(days=1):
                current[2] = day
            else:
                current = [name, day, day]
                periods.append(current)
    return [tuple(period) for period in periods]


def _holiday_events(zone, first, last, domain):
    events = []
    # Started a little before the window, so a period under way keeps its first day.
    for name, start, end in holiday_periods(zone, first - timedelta(days=70), last):
        if end < first:
            continue
        event = Event()
        # Keyed by the period's name and school year: the same period keeps its UID even
        # when the window cuts it differently from one fetch to the next.
        event.add("uid", _uid("holidays", zone, school_year_of(start),
                              "".join(ch for ch in name.lower() if ch.isalnum()),
                              domain=domain))
        event.add("dtstamp", _stamp(datetime(start.year, 1, 1)))
        event.add("summary", name)
        event.add("dtstart", start)
        event.add("dtend", end + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("categories", [_("Vacances scolaires")])
        events.append(event)
    return events

