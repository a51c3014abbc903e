"""Holiday centres (ALSH): booked by whole weeks of a holiday period, and booking windows
per holiday period. Unit tests on explicit dates (zone B), then the real worker, the
cell, the long-period preview, the rules page and the staff page, at whatever date the
suite runs (PORTAIL_TEST_TODAY)."""
import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select

from demo import AGENT, PARENT
from extensions import db
from models import Activity, AuditEvent, Booking, Closure, Enrollment, Request, RequestLine, Town
from models.calendar import school_year_of
from models.clock import utcnow
from models.deadlines import HOURS_BEFORE
from models.holiday_centres import (
    WINDOW_CLOSED,
    WINDOW_NOT_OPEN,
    BookingWindow,
    Windows,
    holiday_period,
    unit_days,
    unit_key,
)
from models.period import PeriodAsk, plan_period
from models.planning import PlanningCalendar
from tests.helpers import activity, body, child, login, page, submit, tap, today

ZONE = "B"


def weekly(**columns):
    settings = dict(name="Centre de loisirs", start_time=time(8, 0), end_time=time(18, 0),
                    weekdays="12345", holidays_only=True, booked_by_week=True,
                    deadline_days=5, deadline_time=time(12, 0), deadline_working_days=False)
    centre = Activity(**{**settings, **columns})
    db.session.add(centre)
    db.session.flush()
    return centre


def week_of(centre, day):
    calendar = PlanningCalendar(ZONE, day - timedelta(days=7), day + timedelta(days=7))
    return unit_days(centre, day, calendar)


def days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# ---- whole weeks (unit) ---------------------------------------------------------------

def test_a_week_of_the_holidays_is_one_unit_and_any_day_of_it_names_it(app):
    centre = weekly()
    week = days(date(2026, 10, 19), date(2026, 10, 23))  # Toussaint, zone B
    for day in week:
        assert week_of(centre, day) == week
    assert week_of(centre, date(2026, 10, 26)) == days(date(2026, 10, 26), date(2026, 10, 30))
    by_day = weekly(booked_by_week=False)
    assert week_of(by_day, date(2026, 10, 21)) == [date(2026, 10, 21)]


def test_partial_weeks_at_the_edges_of_a_holiday_period_are_one_unit(app):
    centre = weekly()
    # The summer of 2027 ends on Tuesday 31 August: Monday and Tuesday are one unit.
    assert week_of(centre, date(2027, 8, 31)) == [date(2027, 8, 30), date(2027, 8, 31)]
    # The Ascension bridge: Thursday 6 May is a public holiday, Friday 7 alone is its unit.
    assert week_of(centre, date(2027, 5, 7)) == [date(2027, 5, 7)]
    # The school days of that week are no part of it (and the centre does not run).
    assert unit_key(centre, date(2027, 5, 4), ZONE) == date(2027, 5, 4)


def test_closures_and_public_holidays_inside_a_week_are_skipped_and_years_end_is_one_week(app):
    centre = weekly()
    # Christmas week: the 25th is a public holiday.
    assert week_of(centre, date(2026, 12, 22)) == days(date(2026, 12, 21), date(2026, 12, 24))
    # The week across the year end: 1 January is a holiday; Monday to Thursday remain.
    db.session.add(Closure(activity_id=centre.id, first_day=date(2026, 12, 29),
                           last_day=date(2026, 12, 29), reason="Formation"))
    db.session.flush()
    assert week_of(centre, date(2026, 12, 31)) == [date(2026, 12, 28), date(2026, 12, 30),
                                                   date(2026, 12, 31)]
    # A week of the next holiday period is another unit, even in the same ISO week.
    assert unit_key(centre, date(2026, 12, 31), ZONE) != unit_key(centre, date(2027, 2, 22), ZONE)


def test_the_deadline_of_a_week_across_the_autumn_clock_change_is_its_first_days(app):
    centre = weekly(deadline_kind=HOURS_BEFORE)
    centre.deadline_days = 72
    # Sunday 25 October 2026: back to winter time. The week after starts on Monday 26 at
    # 08:00 CET (07:00 UTC): 72 real hours earlier is Friday 23 at 07:00 UTC (09:00 CEST).
    week = week_of(centre, date(2026, 10, 29))
    assert week[0] == date(2026, 10, 26)
    assert centre.deadline_for(week[0]) == datetime(2026, 10, 23, 7, 0)
    # The week before holds the change itself: Monday 19 at 08:00 CEST is 06:00 UTC.
    assert centre.deadline_for(week_of(centre, date(2026, 10, 23))[0]) == datetime(
        2026, 10, 16, 6, 0)


def test_holiday_periods_are_named_as_the_official_calendar_and_by_their_school_year(app):
    summer = holiday_period(date(2027, 7, 20), ZONE)
    assert summer.name == "Vacances d'été" and summer.school_year == 2026
    assert (summer.first_day, summer.last_day) == (date(2027, 7, 3), date(2027, 8, 31))
    christmas = holiday_period(date(2027, 1, 2), ZONE)
    assert christmas.school_year == 2026 and christmas.first_day == date(2026, 12, 19)
    assert holiday_period(date(2027, 1, 5), ZONE) is None


# ---- booking windows ------------------------------------------------------------------

def test_a_window_opens_at_midnight_and_closes_after_23_59_paris_time(app):
    winter = BookingWindow(school_year=2026, period_name="Vacances d'hiver",
                           opens_on=date(2027, 1, 1), closes_on=date(2027, 1, 15))
    # Winter time: Paris is UTC+1.
    assert winter.refusal_at(datetime(2026, 12, 31, 22, 59, 59)) == WINDOW_NOT_OPEN
    assert winter.refusal_at(datetime(2026, 12, 31, 23, 0)) is None
    assert winter.refusal_at(datetime(2027, 1, 15, 22, 59, 59)) is None
    assert winter.refusal_at(datetime(2027, 1, 15, 23, 0)) == WINDOW_CLOSED
    assert winter.closes_at == datetime(2027, 1, 15, 22, 59)
    # Summer time (UTC+2), and a window that opens and closes on the spring DST Sunday.
    summer = BookingWindow(school_year=2026, period_name="Vacances d'été",
                           opens_on=date(2027, 4, 1), closes_on=date(2027, 6, 1))
    assert summer.opens_at == datetime(2027, 3, 31, 22, 0)
    dst = BookingWindow(school_year=2026, period_name="Vacances de printemps",
                        opens_on=date(2027, 3, 28), closes_on=date(2027, 3, 28))
    assert dst.opens_at == datetime(2027, 3, 27, 23, 0)  # midnight, still winter time
    assert dst.ends_at == datetime(2027, 3, 28, 22, 0)   # next midnight, summer time
    assert dst.ends_at - dst.opens_at == timedelta(hours=23)


def test_an_activitys_own_window_beats_the_one_of_every_holiday_activity(app):
    centre, other = weekly(), weekly(holidays_only=False, runs_in_school_holidays=True)
    general = BookingWindow(school_year=2026, period_name="Vacances d'hiver",
                            opens_on=date(2027, 1, 1), closes_on=date(2027, 1, 15))
    own = BookingWindow(activity_id=centre.id, school_year=2026, period_name="Vacances d'hiver",
                        opens_on=date(2027, 1, 10), closes_on=date(2027, 1, 20))
    windows = Windows([general, own])
    day = date(2027, 2, 24)
    assert windows.for_day(centre, day, ZONE) is own
    assert windows.for_day(other, day, ZONE) is None  # not a holiday-centre activity
    assert windows.for_day(centre, date(2027, 3, 10), ZONE) is None  # a school day
    assert Windows([general]).for_day(weekly(), day, ZONE) is general
    assert windows.refusal(centre, day, ZONE, datetime(2027, 1, 21, 12, 0)) == (
        WINDOW_CLOSED, own.closes_at)


# ---- with the demo town, the planning and the real worker -----------------------------

def upcoming_week(centre, lead=2):
    """The first holiday week of the centre of at least two running days, all of them
    `lead` days ahead or more, and the holiday period it is in."""
    zone = Town.current().holiday_zone
    start = today() + timedelta(days=lead)
    calendar = PlanningCalendar(zone, start - timedelta(days=7), start + timedelta(days=420))
    day = start
    while True:
        assert day < start + timedelta(days=400), "no holiday week ahead"
        if calendar.runs(centre, day):
            week = unit_days(centre, day, calendar)
            if len(week) >= 2 and week[0] >= start:
                return week, holiday_period(day, zone)
            day = week[-1]
        day += timedelta(days=1)


@pytest.fixture
def centre(planning):
    centre = weekly(capacity=10)
    centre.deadline_days = 0
    db.session.execute(delete(BookingWindow))  # the demo's: each test sets its own
    for who in ("Léa", "Hugo"):
        for year in {school_year_of(today()), school_year_of(today()) + 1}:
            db.session.add(Enrollment(child_id=child(who).id, activity_id=centre.id,
                                      school_year=year))
    db.session.commit()
    return centre


def states(who, week):
    return [db.session.scalar(select(Booking.state).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(
            "Centre de loisirs").id, Booking.day == day)) for day in week]


def cell_html(client, who, day):
    return body(client.get(f"/activites/case?enfant={child(who).id}"
                           f"&activite={activity('Centre de loisirs').id}&jour={day.isoformat()}",
                           headers={"HX-Request": "true"}))


def test_one_tap_reserves_and_cancels_the_whole_week_as_one_request(client, centre, run_jobs):
    week, _period = upcoming_week(centre)
    login(client, *PARENT)
    answer = body(tap(client, "Léa", "Centre de loisirs", week[-1]))
    # The tapped cell and the other days of its week are settled in place.
    assert answer.count('hx-swap-oob="true"') == len(week) - 1
    assert answer.count('class="cell cell--pending_reservation') == len(week)
    assert "À la semaine" in answer
    request = db.session.scalar(select(Request).order_by(Request.id.desc()))
    assert sorted(line.day for line in request.lines) == week
    assert states("Léa", week) == ["pending_reservation"] * len(week)
    run_jobs()
    assert states("Léa", week) == ["reserved"] * len(week)
    assert "Réservé" in cell_html(client, "Léa", week[0])

    tap(client, "Léa", "Centre de loisirs", week[0])
    run_jobs()
    assert states("Léa", week) == ["absent"] * len(week)
    assert len(db.session.scalar(select(Request).order_by(Request.id.desc())).lines) == len(week)


def test_a_week_with_one_full_day_is_refused_whole(client, centre, run_jobs):
    week, _period = upcoming_week(centre)
    centre.capacity = 1
    db.session.add(Booking(child_id=child("Hugo").id, activity_id=centre.id, day=week[1],
                           state="reserved"))
    db.session.commit()
    login(client, *PARENT)
    tap(client, "Léa", "Centre de loisirs", week[0])
    run_jobs()
    assert states("Léa", week) == ["none"] * len(week)
    lines = db.session.scalars(select(RequestLine).where(
        RequestLine.child_id == child("Léa").id)).all()
    assert {(line.outcome, line.reason) for line in lines} == {("refused", "full")}
    assert len(lines) == len(week)


def window(period, opens_on, closes_on, activity_id=None):
    row = BookingWindow(activity_id=activity_id, school_year=period.school_year,
                        period_name=period.name, opens_on=opens_on, closes_on=closes_on)
    db.session.add(row)
    db.session.commit()
    return row


def test_outside_its_window_the_cell_says_so_and_the_job_refuses(client, centre, run_jobs):
    week, period = upcoming_week(centre)
    closed = window(period, today() - timedelta(days=20), today() - timedelta(days=1))
    login(client, *PARENT)
    cell = cell_html(client, "Léa", week[0])
    assert "Inscriptions pour ces vacances closes depuis le" in cell
    assert "23:59" in cell and ">Réserver<" not in cell
    tap(client, "Léa", "Centre de loisirs", week[0])  # a page shown before it closed
    run_jobs()
    line = db.session.scalar(select(RequestLine).where(RequestLine.day == week[0]))
    assert (line.outcome, line.reason, line.deadline_at) == ("refused", WINDOW_CLOSED,
                                                              closed.closes_at)
    assert "inscriptions closes pour ces vacances" in body(client.get("/mes-demandes"))

    closed.opens_on, closed.closes_on = today() + timedelta(days=1), week[0]
    db.session.commit()
    cell = cell_html(client, "Léa", week[0])
    assert "Inscriptions pour ces vacances à partir du" in cell and ">Réserver<" not in cell
    closed.opens_on = today()
    db.session.commit()
    assert ">Réserver<" in cell_html(client, "Léa", week[0])


def test_the_long_period_preview_asks_whole_weeks_and_says_the_window(app, centre):
    week, period = upcoming_week(centre)
    ask = PeriodAsk(action="reserve", children=[child("Léa")], activities=[centre],
                    first_day=week[0], last_day=week[0], weekdays={week[0].isoweekday()})
    zone = Town.current().holiday_zone
    [group] = plan_period(ask, zone)
    assert [day for day, _state in group.asked] == week  # one day chosen, its week asked
    window(period, today() + timedelta(days=1), week[0])
    [group] = plan_period(ask, zone)
    assert group.outside_window_days == week
    assert group.window_notes[0][0] == WINDOW_NOT_OPEN


def test_the_preview_page_says_a_week_would_be_refused_outside_the_window(client, centre):
    week, period = upcoming_week(centre)
    window(period, today() - timedelta(days=20), today() - timedelta(days=1))
    login(client, *PARENT)
    html = page(client, "/activites/longue-periode")
    data = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1],
            "client_token": "c" * 32, "action": "reserve", "children": [str(child("Léa").id)],
            "activities": [str(centre.id)], "first_day": week[0].isoformat(),
            "last_day": week[0].isoformat(), "weekdays": [str(week[0].isoweekday())]}
    preview = body(client.post("/activites/longue-periode/apercu", data=data))
    assert f"{len(week)} seront refusés, en dehors des inscriptions de ces vacances" in preview
    assert "inscriptions closes depuis le" in preview
    assert "se réserve à la semaine complète" in preview


def test_the_rules_page_says_whole_weeks_and_lists_the_windows(client, centre):
    _week, period = upcoming_week(centre)
    window(period, date(period.first_day.year, 1, 1) if period.first_day.month > 1
           else period.first_day - timedelta(days=30), period.first_day - timedelta(days=3))
    login(client, *PARENT)
    rules = page(client, "/reglement-interieur")
    assert "se réserve et s'annule à la semaine complète" in rules
    assert f"{period.name} {period.school_year}-{period.school_year + 1} : inscriptions du" in rules


# ---- the staff page -------------------------------------------------------------------

def test_staff_set_edit_and_delete_a_window_audited_with_french_checks(client, centre):
    _week, period = upcoming_week(centre)
    login(client, *AGENT)
    value = f"{period.school_year}|{period.name}"
    opens, closes = period.first_day - timedelta(days=40), period.first_day - timedelta(days=10)
    wrong = submit(client, "/admin/inscriptions-vacances", {
        "activity_id": "0", "period": value, "opens_on": closes.isoformat(),
        "closes_on": opens.isoformat()})
    assert wrong.status_code == 422
    assert "La clôture des inscriptions ne peut pas précéder leur ouverture." in body(wrong)
    late = submit(client, "/admin/inscriptions-vacances", {
        "activity_id": "0", "period": value, "opens_on": opens.isoformat(),
        "closes_on": (period.last_day + timedelta(days=1)).isoformat()})
    assert "au plus tard le dernier jour de ces vacances" in body(late)
    done = submit(client, "/admin/inscriptions-vacances", {
        "activity_id": "0", "period": value, "opens_on": opens.isoformat(),
        "closes_on": closes.isoformat()})
    assert done.status_code == 302
    saved = db.session.scalar(select(BookingWindow))
    assert (saved.opens_on, saved.closes_on, saved.activity_id) == (opens, closes, None)
    again = submit(client, "/admin/inscriptions-vacances", {
        "activity_id": "0", "period": value, "opens_on": opens.isoformat(),
        "closes_on": closes.isoformat()})
    assert "déjà leurs dates d'inscription" in body(again)

    url = f"/admin/inscriptions-vacances/{saved.id}"
    assert submit(client, url, {"activity_id": str(centre.id), "period": value,
                                "opens_on": opens.isoformat(),
                                "closes_on": (closes + timedelta(days=2)).isoformat()}
                  ).status_code == 302
    db.session.refresh(saved)
    assert saved.activity_id == centre.id and saved.closes_on == closes + timedelta(days=2)
    listing = page(client, "/admin/inscriptions-vacances")
    assert period.name in listing and "Centre de loisirs" in listing
    assert submit(client, "/admin/inscriptions-vacances", {}, post_url=url + "/supprimer"
                  ).status_code == 302
    assert db.session.scalar(select(BookingWindow)) is None
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("booking_window.%")).order_by(AuditEvent.id)).all()
    assert actions == ["booking_window.created", "booking_window.updated",
                       "booking_window.deleted"]


def test_parents_cannot_reach_the_staff_page(client, centre):
    login(client, *PARENT)
    assert client.get("/admin/inscriptions-vacances").status_code == 403


def test_a_week_whose_first_day_is_late_is_refused_whole_and_its_cells_say_so(
        client, centre, run_jobs):
    week, _period = upcoming_week(centre)
    login(client, *PARENT)
    assert ">Réserver<" in cell_html(client, "Léa", week[-1])
    # The deadline of the first day is now past; the last day's own would not be.
    centre.deadline_days = (week[0] - today()).days + 1
    db.session.commit()
    assert centre.deadline_for(week[-1]) > utcnow()
    cell = cell_html(client, "Léa", week[-1])
    assert ">Réserver<" not in cell and "Non modifiable : la date limite était le" in cell
    tap(client, "Léa", "Centre de loisirs", week[-1])  # the page was shown before
    run_jobs()
    lines = db.session.scalars(select(RequestLine)).all()
    assert len(lines) == len(week)
    assert {(line.outcome, line.reason, line.deadline_at) for line in lines} == {
        ("refused", "late", centre.deadline_for(week[0]))}
    assert states("Léa", week) == ["none"] * len(week)
