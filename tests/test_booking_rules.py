"""Deadline kinds and the booking horizon through every caller: the planning cell (before
the tap), the job (the decision and its words), the long-period preview, the admin form
and the rules page generated from the settings. Days are asked of the calendar."""
import re
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import RequestLine
from models.deadlines import HOURS_BEFORE
from models.planning import ABSENCE
from tests.helpers import (
    activity,
    body,
    booking_state,
    child,
    csrf_from,
    login,
    page,
    school_weeks_ahead,
    tap,
    text_of,
    today,
    upcoming_day,
)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def cell_html(client, who, what, day):
    return body(client.get(f"/activites/case?enfant={child(who).id}"
                           f"&activite={activity(what).id}&jour={day.isoformat()}",
                           headers=HTMX))


def test_beyond_the_horizon_a_cell_says_when_it_opens_and_the_job_refuses(
        client, planning, run_jobs, mailbox):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=20)
    aps.booking_horizon_days = 10
    db.session.commit()
    login(client, *planning.PARENT)
    cell = cell_html(client, "Léa", "APS Soir", day)
    assert "Réservable à partir du" in cell
    assert 'name="action"' not in cell  # nothing to tap yet

    tap(client, "Léa", "APS Soir", day)  # a page loaded before the horizon was set
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "none"
    line = db.session.scalar(select(RequestLine))
    assert line.reason == "too_early" and line.deadline_at == aps.opens_at(day)
    assert "trop tôt : les réservations de ce jour ouvrent le" in cell_html(
        client, "Léa", "APS Soir", day)
    decision = text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée"))
    assert "refusée (trop tôt : les réservations de ce jour ouvrent le" in decision

    # Within the horizon the cell is tappable as before.
    aps.booking_horizon_days = 60
    db.session.commit()
    assert 'name="action"' in cell_html(client, "Léa", "APS Soir", day)


def test_cancelling_follows_its_own_rule(client, planning, run_jobs, mailbox):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=5)
    aps.deadline_days, aps.deadline_working_days = 0, False  # reserving: until the day
    # Cancelling: so many hours before the start that it is already past.
    aps.cancel_deadline_kind = HOURS_BEFORE
    aps.cancel_deadline_days = ((day - today()).days + 2) * 24
    db.session.commit()
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    # Reserved, the cell's next tap is an absence: locked, it says the cancel deadline.
    assert "Non modifiable : la date limite était le" in cell_html(client, "Léa", "APS Soir", day)

    tap(client, "Léa", "APS Soir", day)  # as the page showed it before
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    refused = db.session.scalar(select(RequestLine).where(RequestLine.action == ABSENCE))
    assert refused.reason == "late"
    assert refused.deadline_at == aps.deadline_for(day, ABSENCE)
    assert refused.deadline_at != aps.deadline_for(day)


def test_the_preview_shows_days_not_open_yet(client, planning):
    aps = activity("APS Soir")
    first = school_weeks_ahead(aps, 3, weeks=2)
    aps.booking_horizon_days = (first - today()).days + 3  # the first days only are open
    db.session.commit()
    login(client, *planning.PARENT)
    html = page(client, "/activites/longue-periode")
    data = {
        "csrf_token": csrf_from(html),
        "client_token": re.search(r'name="client_token" type="hidden" value="([^"]+)"', html)[1],
        "action": "reserve", "children": [str(child("Léa").id)],
        "activities": [str(aps.id)], "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=13)).isoformat(), "weekdays": ["1", "2", "4", "5"]}
    preview = body(client.post("/activites/longue-periode/apercu", data=data,
                               headers={"HX-Request": "true", "X-CSRFToken": data["csrf_token"]}))
    assert "seront refusés, réservations pas encore ouvertes" in preview


def activity_form(client, aps, **changes):
    form = page(client, f"/admin/activites/{aps.id}")
    data = {"csrf_token": csrf_from(form), "name": aps.name, "start_time": "16:30",
            "end_time": "18:30", "weekdays": ["1", "2", "4", "5"], "deadline_kind": "days_before",
            "deadline_days": "1", "deadline_time": "18:00", "capacity": "40",
            "position": "2", "active": "y", "cancel_deadline_kind": "",
            "cancel_deadline_days": "", "cancel_deadline_time": "", "booking_horizon_days": ""}
    data.update(changes)
    return client.post(f"/admin/activites/{aps.id}", data=data)


def test_admins_set_each_kind_and_the_rules_page_says_it(client, other_client, planning):
    login(client, *planning.ADMIN)
    aps = activity("APS Soir")
    wrong = activity_form(client, aps, deadline_kind="week_before", deadline_days="9")
    assert wrong.status_code == 422
    assert "Pour ce type de délai, N va de 1 à 7." in body(wrong)
    no_time = activity_form(client, aps, cancel_deadline_kind="hours_before",
                            cancel_deadline_days="24", cancel_deadline_time="")
    assert no_time.status_code == 422
    assert "Ce champ est obligatoire." in body(no_time)

    saved = activity_form(client, aps, deadline_kind="week_before", deadline_days="4",
                          deadline_time="23:59", cancel_deadline_kind="hours_before",
                          cancel_deadline_days="24", cancel_deadline_time="00:00",
                          booking_horizon_days="100")
    assert saved.status_code == 302
    rules = page(other_client, "/reglement-interieur")
    assert ("APS Soir, le lundi, mardi, jeudi, vendredi de 16:30 à 18:30 : à réserver pour "
            "toute la semaine, au plus tard le jeudi de la semaine précédente, à 23:59 ; à "
            "annuler au plus tard 24 heures avant le début de l'activité. Réservable au plus "
            "tôt 100 jours à l'avance.") in rules

    assert activity_form(client, aps, deadline_kind="month_before", deadline_days="20",
                         deadline_time="12:00").status_code == 302
    rules = page(other_client, "/reglement-interieur")
    assert ("à réserver ou annuler pour tout le mois, au plus tard le 20 du mois précédent, "
            "à 12:00.") in rules
    assert activity_form(client, aps, deadline_kind="clear_days", deadline_days="8",
                         deadline_time="23:59").status_code == 302
    rules = page(other_client, "/reglement-interieur")
    assert ("au plus tard 8 jours francs avant le premier jour des vacances scolaires (hors "
            "vacances : avant le jour même), à 23:59.") in rules
    db.session.expire_all()
    assert activity("APS Soir").cancel_deadline_kind is None


def test_a_holiday_centre_runs_in_the_school_holidays_only(app):
    from datetime import date

    from models.planning import SCHOOL_DAY, Activity, PlanningCalendar

    centre = Activity(id=99, weekdays="12345", holidays_only=True)
    calendar = PlanningCalendar("B", date(2026, 12, 1), date(2027, 3, 31))
    calendar.closures = []
    assert calendar.why_not_running(centre, date(2026, 12, 18)) == SCHOOL_DAY  # last school day
    assert calendar.runs(centre, date(2026, 12, 21))                          # first Monday off
    assert calendar.why_not_running(centre, date(2026, 12, 25)) == "public_holiday"
    assert calendar.why_not_running(centre, date(2027, 1, 4)) == SCHOOL_DAY   # back to school
    assert calendar.runs(centre, date(2027, 2, 22))        # winter holidays of zone B
    assert not PlanningCalendar("C", date(2027, 2, 22), date(2027, 2, 22)).runs(
        centre, date(2027, 3, 8))


def test_the_demo_holiday_centre_in_words(client, demo):
    rules = page(client, "/reglement-interieur")
    assert ("Stage vacances, le lundi, mardi, mercredi, jeudi, vendredi de 09:00 à 17:00, "
            "uniquement pendant les vacances scolaires : à réserver au plus tard 8 jours "
            "francs avant le premier jour des vacances scolaires (hors vacances : avant le "
            "jour même), à 23:59 ; à annuler pour toute la semaine, au plus tard le jeudi de "
            "la semaine précédente, à 23:59.") in rules
    assert "Réservable au plus tôt 100 jours à l'avance." in rules  # APS Matin
    assert "au plus tard 72 heures avant le début de l'activité" in rules
    assert "pour tout le mois, au plus tard le 20 du mois précédent, à 23:59" in rules
