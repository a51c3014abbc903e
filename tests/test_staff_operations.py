"""Staff operations: roll call, meal counts, requests, emergencies, tasks, exports,
staff accounts, dashboard."""
import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import AuditEvent, Booking, Family, Request, Town, User
from models.attendance import Attendance, shown_state
from models.clock import PARIS, utcnow
from models.grid import family_planning
from models.meals import meal_counts
from tests.helpers import (
    activity,
    at_once,
    body,
    child,
    csrf_from,
    link_in,
    login,
    make_late,
    page,
    submit,
    text_of,
    today,
    upcoming_day,
)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
AGENT = ("agent@example.org", "portail-agent-2026")


def reserve(who, what, day):
    booking = db.session.scalar(select(Booking).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day)) or Booking(child_id=child(who).id,
                                        activity_id=activity(what).id, day=day)
    booking.state = "reserved"
    db.session.add(booking)
    db.session.commit()


@pytest.fixture
def canteen_day(planning):
    day = upcoming_day(activity("Restauration scolaire"), days_ahead=2)
    for who in ("Léa", "Hugo", "Jules"):
        reserve(who, "Restauration scolaire", day)
    return day


@pytest.fixture
def on_the_day(canteen_day, agent_client, planning):
    """The clock on canteen_day at noon (a roll call is marked on its day), the agent
    logged in again (the session would have expired)."""
    with time_machine.travel(datetime.combine(canteen_day, time(12), PARIS), tick=True):
        login(agent_client, *planning.AGENT)
        yield canteen_day


def roll_call_url(day, what="Restauration scolaire"):
    return f"/admin/pointage?jour={day.isoformat()}&activite={activity(what).id}"


def mark(client, token, who, day, status, reason=None, what="Restauration scolaire",
         shown=None):
    """Tap a row as it shows now (or as it showed `shown`)."""
    if shown is None:
        shown = shown_state(Attendance.for_day(activity(what).id, day).get(child(who).id))
    data = {"enfant": child(who).id, "activite": activity(what).id, "jour": day.isoformat(),
            "statut": status, "etat": shown}
    if reason:
        data["motif"] = reason
    return client.post("/admin/pointage/marquer", data=data,
                       headers=dict(HTMX, **{"X-CSRFToken": token}))


def test_roll_call_lists_expected_children_by_school_and_class(agent_client, canteen_day):
    html = page(agent_client, roll_call_url(canteen_day))
    assert "3 attendus · 0 présent · 0 absent · 3 à pointer" in html
    assert html.index("École des Tilleuls · CE2") < html.index("École des Tilleuls · CM1")
    assert "Léa MARTIN" in html and "Jules BERNARD" in html


def test_a_tap_marks_present_or_absent_with_a_reason(agent_client, canteen_day, on_the_day):
    token = csrf_from(page(agent_client, roll_call_url(canteen_day)))
    response = mark(agent_client, token, "Léa", canteen_day, "present")
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert 'value="present" class="mark mark--present" aria-pressed="true"' in body(response)
    response = mark(agent_client, token, "Hugo", canteen_day, "absent")
    assert "malade" in body(response)  # the reasons appear once absent is chosen
    response = mark(agent_client, token, "Hugo", canteen_day, "absent", "ill")
    assert 'value="ill" class="mark mark--reason" aria-pressed="true"' in body(response)
    marks = Attendance.for_day(activity("Restauration scolaire").id, canteen_day)
    assert marks[child("Léa").id].status == "present"
    assert (marks[child("Hugo").id].status, marks[child("Hugo").id].absence_reason) == (
        "absent", "ill")
    assert "3 attendus · 1 présent · 1 absent · 1 à pointer" in page(
        agent_client, roll_call_url(canteen_day))


def test_two_agents_at_once_lose_no_mark(app, planning, canteen_day, on_the_day):
    agents = [app.test_client(), app.test_client()]
    second = User(email="agent2@example.org", role="staff", first_name="Paul")
    second.set_password("le mot de passe de paul")
    second.confirmed_at = utcnow()
    db.session.add(second)
    db.session.commit()
    login(agents[0], *planning.AGENT)
    login(agents[1], "agent2@example.org", "le mot de passe de paul")
    tokens = [csrf_from(page(a, roll_call_url(canteen_day))) for a in agents]
    canteen = activity("Restauration scolaire").id
    plan = [[("Léa", "present"), ("Jules", "absent")], [("Hugo", "present"), ("Jules", "present")]]
    plan = [[{"enfant": child(who).id, "activite": canteen, "jour": canteen_day.isoformat(),
              "statut": status, "etat": "none"} for who, status in marks] for marks in plan]
    def run(index):
        return [agents[index].post("/admin/pointage/marquer", data=data, headers=dict(
            HTMX, **{"X-CSRFToken": tokens[index]})) for data in plan[index]]

    responses = sum(at_once(lambda: run(0), lambda: run(1)), [])
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    # Both saw Jules unmarked: the second to tap is told, and sees the first one's mark.
    told = [r for r in responses if "a changé entre-temps" in body(r)]
    assert len(told) == 1 and f'id="rollcall-{child("Jules").id}"' in body(told[0])
    marks = Attendance.for_day(activity("Restauration scolaire").id, canteen_day)
    assert marks[child("Léa").id].status == "present"
    assert marks[child("Hugo").id].status == "present"
    assert marks[child("Jules").id].status in ("present", "absent")  # one row, first wins
    assert len(marks) == 3


def test_a_day_to_come_cannot_be_marked(agent_client, canteen_day):
    html = page(agent_client, roll_call_url(canteen_day))
    assert "le pointage se fait le jour même" in html and 'name="statut"' not in html
    response = mark(agent_client, csrf_from(html), "Léa", canteen_day, "present")
    assert response.status_code == 422
    assert "pas encore arrivé" in body(response)
    assert Attendance.for_day(activity("Restauration scolaire").id, canteen_day) == {}


def test_tapping_absent_again_keeps_an_illness(agent_client, on_the_day):
    token = csrf_from(page(agent_client, roll_call_url(on_the_day)))
    mark(agent_client, token, "Hugo", on_the_day, "absent")
    mark(agent_client, token, "Hugo", on_the_day, "absent", "ill")
    response = mark(agent_client, token, "Hugo", on_the_day, "absent")
    assert 'value="ill" class="mark mark--reason" aria-pressed="true"' in body(response)
    hugo = Attendance.for_day(activity("Restauration scolaire").id, on_the_day)[child("Hugo").id]
    assert hugo.absence_reason == "ill"
    mark(agent_client, token, "Hugo", on_the_day, "absent", "unexcused")  # on purpose
    db.session.expire_all()
    hugo = Attendance.for_day(activity("Restauration scolaire").id, on_the_day)[child("Hugo").id]
    assert hugo.absence_reason == "unexcused"


def test_a_tap_on_a_stale_row_changes_nothing_and_shows_the_mark(agent_client, on_the_day):
    token = csrf_from(page(agent_client, roll_call_url(on_the_day)))
    mark(agent_client, token, "Léa", on_the_day, "present")  # another agent, meanwhile
    response = mark(agent_client, token, "Léa", on_the_day, "absent", shown="none")
    assert response.status_code == 200 and "a changé entre-temps" in body(response)
    assert 'value="present" class="mark mark--present" aria-pressed="true"' in body(response)
    lea = Attendance.for_day(activity("Restauration scolaire").id, on_the_day)[child("Léa").id]
    assert lea.status == "present"


def test_counters_follow_each_tap(agent_client, on_the_day):
    token = csrf_from(page(agent_client, roll_call_url(on_the_day)))
    response = mark(agent_client, token, "Léa", on_the_day, "present")
    counts = body(response)[body(response).index('id="rollcall-counts"'):]
    assert counts.startswith('id="rollcall-counts" aria-live="polite" hx-swap-oob="true"')
    assert "3 attendus · 1 présent · 0 absent · 2 à pointer" in counts


def test_the_list_shows_other_agents_marks_within_seconds(agent_client, on_the_day):
    html = page(agent_client, roll_call_url(on_the_day))
    assert 'hx-trigger="every 5s' in html
    poll = re.search(r'id="rollcall-list" hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert agent_client.get(poll, headers=HTMX).status_code == 204  # nothing new: nothing sent
    Attendance.mark(child("Jules").id, activity("Restauration scolaire").id, on_the_day,
                    "present", db.session.scalar(select(User).where(User.role == "staff")))
    db.session.commit()
    response = agent_client.get(poll, headers=HTMX)
    assert response.status_code == 200
    assert "3 attendus · 1 présent · 0 absent · 2 à pointer" in body(response)
    jules = body(response)[body(response).index(f'id="rollcall-{child("Jules").id}"'):]
    assert 'value="present" class="mark mark--present" aria-pressed="true"' in jules[:4000]
    newer = re.search(r'id="rollcall-list" hx-get="([^"]+)"', body(response)).group(1)
    assert agent_client.get(newer.replace("&amp;", "&"), headers=HTMX).status_code == 204


def test_a_child_present_without_reservation_can_be_added(agent_client, canteen_day):
    aps = activity("APS Soir")
    day = upcoming_day(aps)
    with time_machine.travel(datetime.combine(day, time(17), PARIS), tick=True):
        login(agent_client, *AGENT)
        html = page(agent_client, roll_call_url(day, "APS Soir"))
        assert "Aucun enfant attendu" in html
        response = agent_client.post("/admin/pointage/marquer", data={
            "csrf_token": csrf_from(html), "enfant": child("Léa").id, "activite": aps.id,
            "jour": day.isoformat(), "statut": "present", "etat": "none"})
        assert response.status_code == 302
        html = page(agent_client, roll_call_url(day, "APS Soir"))
    assert "Léa MARTIN" in html and "sans réservation" in html
    assert Attendance.for_day(aps.id, day)[child("Léa").id].unreserved


def test_meal_counts_equal_the_planning(agent_client, planning, canteen_day):
    zone = Town.current().holiday_zone
    first, last = canteen_day, canteen_day + timedelta(days=13)
    eaters = set()
    for family in db.session.scalars(select(Family).options(
            selectinload(Family.children))).all():
        for day_plan in family_planning(family.children, first, last, zone):
            for cell in day_plan.cells:
                if cell.activity.includes_meal and cell.state == "reserved":
                    eaters.add((cell.day, cell.child.id))
    counts = meal_counts(first, last, zone)
    assert sum(row.total for row in counts) == len(eaters)
    html = page(agent_client, f"/admin/repas?depuis={first.isoformat()}&jours=14")
    assert "École des Tilleuls" in html
    exported = agent_client.get(f"/admin/repas?depuis={first.isoformat()}&jours=14&format=csv")
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Date", "Site"]
    assert sum(int(row[-1]) for row in rows[1:]) == len(eaters)


def test_emergency_late_reservation_is_accepted_with_emails_and_audit(
        agent_client, planning, run_jobs, mailbox):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=1)
    make_late(aps, day)
    db.session.commit()
    family = child("Hugo").family
    url = f"/admin/familles/{family.id}/urgence"
    missing = submit(agent_client, url, {"action": "reserve", "child_id": child("Hugo").id,
                                         "activity_id": aps.id, "day": day.isoformat(),
                                         "reason": ""})
    assert missing.status_code == 422 and "Le motif est obligatoire" in body(missing)
    response = submit(agent_client, url, {
        "action": "reserve", "child_id": child("Hugo").id, "activity_id": aps.id,
        "day": day.isoformat(), "reason": "Appel du père : garde imprévue ce soir"})
    assert response.status_code == 302
    run_jobs()
    request = db.session.scalar(select(Request))
    assert request.staff_reason.startswith("Appel du père") and request.user_id is None
    assert request.lines[0].outcome == "accepted"
    booking = db.session.scalar(select(Booking).where(Booking.child_id == child("Hugo").id,
                                                      Booking.activity_id == aps.id,
                                                      Booking.day == day))
    assert booking.state == "reserved"
    mailbox.wait_for(planning.PARENT[0], "Demande reçue")
    assert "acceptée" in text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée"))
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "request.emergency"))
    assert event.family_id == family.id and event.actor.email == planning.AGENT[0]
    assert "Appel" not in str(event.details)  # the reason stays with the request only


def test_emergency_illness_absence_is_recorded(agent_client, planning, canteen_day, run_jobs):
    family = child("Léa").family
    canteen = activity("Restauration scolaire")
    response = submit(agent_client, f"/admin/familles/{family.id}/urgence", {
        "action": "absence", "child_id": child("Léa").id, "activity_id": canteen.id,
        "day": canteen_day.isoformat(), "reason": "Varicelle, appel de la mère"})
    assert response.status_code == 302
    run_jobs()
    mark_row = Attendance.for_day(canteen.id, canteen_day)[child("Léa").id]
    assert (mark_row.status, mark_row.absence_reason) == ("absent", "ill")
    assert db.session.scalar(select(Booking.state).where(
        Booking.child_id == child("Léa").id, Booking.activity_id == canteen.id,
        Booking.day == canteen_day)) == "absent"


def test_requests_list_filters(agent_client, planning, run_jobs):
    aps = activity("APS Soir")
    day = upcoming_day(aps)
    client = agent_client.application.test_client()
    login(client, *planning.PARENT)
    token = csrf_from(page(client, "/activites"))
    for who in ("Léa", "Hugo"):
        client.post("/activites/case", headers=dict(HTMX, **{"X-CSRFToken": token}),
                    data={"enfant": child(who).id, "activite": aps.id, "jour": day.isoformat(),
                          "action": "reserve", "etat": "none"})
    run_jobs()
    html = page(agent_client, "/admin/demandes?enfant=hugo")
    assert "Hugo MARTIN" in html and "Léa MARTIN" not in html
    html = page(agent_client, "/admin/demandes?resultat=refused")
    assert "Aucune demande ne correspond." in html
    fragment = body(agent_client.get("/admin/demandes?famille=martin", headers=HTMX))
    assert "<html" not in fragment and "Léa MARTIN" in fragment and "Hugo MARTIN" in fragment


def test_failed_jobs_and_unsent_emails_are_visible_and_retried(app, agent_client, planning,
                                                                run_jobs, mailbox):
    from jobs import queue
    from jobs.emails import queue_email, send_email

    email = queue_email("someone@example.net", "email_in_use", "Message coincé",
                        login_url="http://localhost/")
    db.session.commit()
    queue(app).fetch_job(f"email-{email.id}").delete()
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1
    try:
        queue(app).enqueue(send_email, email.id, job_id=f"email-{email.id}")
        run_jobs()
    finally:
        app.config["MAIL_PORT"] = saved
    email.created_at -= timedelta(minutes=5)
    db.session.commit()
    html = page(agent_client, "/admin/taches")
    assert f"email-{email.id}" in html and "Message coincé" in html
    response = submit(agent_client, "/admin/taches", {},
                      post_url=f"/admin/taches/job/email-{email.id}/relancer")
    assert response.status_code == 302
    run_jobs()
    mailbox.wait_for("someone@example.net", "Message coincé")
    assert "Message coincé" not in page(agent_client, "/admin/taches")


def test_csv_exports_open_with_their_accents(agent_client, planning, canteen_day, on_the_day):
    families = agent_client.get("/admin/exports/familles.csv")
    data = families.get_data()
    assert data.startswith(b"\xef\xbb\xbf") and families.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Dossier" and any("Léa MARTIN" in row for row in rows)
    token = csrf_from(page(agent_client, roll_call_url(canteen_day)))
    mark(agent_client, token, "Léa", canteen_day, "present")
    attendance = agent_client.get(f"/admin/exports/presences.csv?mois={canteen_day:%Y-%m}")
    rows = list(csv.reader(io.StringIO(attendance.get_data().decode("utf-8-sig")),
                           delimiter=";"))
    lea = next(row for row in rows if row[2] == "Léa MARTIN"
               and row[3] == "Restauration scolaire")
    assert int(lea[4]) >= 1 and lea[5] == "1"
    requests_csv = agent_client.get(f"/admin/exports/demandes.csv?mois={canteen_day:%Y-%m}")
    assert requests_csv.get_data().decode("utf-8-sig").startswith("Envoyée le")


def test_agents_do_not_reach_admin_configuration(agent_client):
    for url in ("/admin/equipe", "/admin/activites/nouvelle"):
        assert agent_client.get(url).status_code == 403
    assert agent_client.post("/admin/equipe/1/acces").status_code in (400, 403)


def test_admin_invites_an_agent_and_can_switch_the_account_off(client, other_client, planning,
                                                               run_jobs, mailbox):
    login(client, *planning.ADMIN)
    response = submit(client, "/admin/equipe", {"email": "Nouvelle@Example.org",
                                                "first_name": "Inès", "last_name": "Roy",
                                                "role": "staff"})
    assert response.status_code == 302
    run_jobs()
    link = link_in(mailbox.wait_for("nouvelle@example.org", "Votre compte"), "/mot-de-passe/")
    submit(other_client, link, {"password": "un secret pour ines", "password_confirm":
                                "un secret pour ines"})
    assert login(other_client, "nouvelle@example.org", "un secret pour ines").headers[
        "Location"] == "/admin/"
    member = User.by_email("nouvelle@example.org")
    submit(client, "/admin/equipe", {}, post_url=f"/admin/equipe/{member.id}/acces")
    assert other_client.get("/admin/").status_code == 302  # sessions ended
    assert login(other_client, "nouvelle@example.org", "un secret pour ines").status_code == 422


def test_dashboard_shows_occupancy_and_the_day(agent_client, canteen_day):
    html = page(agent_client, "/admin/")
    assert "Fréquentation des 4 prochaines semaines" in html
    if canteen_day < today() + timedelta(weeks=4):
        assert "<svg" in html and "Restauration scolaire" in html
    else:  # school holidays: only a holiday centre, or nothing, runs
        assert "Fréquentation de Restauration scolaire" not in html
    assert re.search(r'stat__value">\d+</span> <span class="stat__label">demandes? aujourd\'hui',
                     html)


def test_roll_call_shows_the_family_file_flags_and_logs_the_health_read(agent_client,
                                                                       canteen_day):
    html = page(agent_client, roll_call_url(canteen_day))
    lea = html[html.index(f'id="rollcall-{child("Léa").id}"'):]
    lea = lea[:lea.index("rollcall-row__marks")]
    assert "Allergies : Arachides" in lea and "Sans porc" in lea and ">PAI<" in lea
    assert "Ne part pas seul" in lea and "Peuvent le chercher : Monique Durand" in lea
    hugo = html[html.index(f'id="rollcall-{child("Hugo").id}"'):]
    assert "Allergies" not in hugo[:hugo.index("rollcall-row__marks")]
    # One entry for the view (not one per child), found from each family it showed.
    [read] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "health.viewed")).all()
    assert read.details["children"] == 3 and read.details["where"] == "roll_call"
    for name in ("Léa", "Jules"):
        assert db.session.scalars(select(AuditEvent.id).where(
            AuditEvent.action == "health.viewed",
            AuditEvent.about_family(child(name).family_id))).all() == [read.id]
    assert "Arachides" not in str(read.details)


def test_meal_counts_split_by_diet(agent_client, planning, canteen_day):
    from models.child_file import health_record_of

    hugo = child("Hugo")
    record = health_record_of(hugo, create=True)
    record.diets = ["sans_porc", "sans_lactose"]  # counted once, in the stricter column
    db.session.commit()
    counts = meal_counts(canteen_day, canteen_day, Town.current().holiday_zone)
    assert len(counts) == 1
    row = counts[0]
    # Léa has a PAI (the demo file), Hugo no lactose, Jules eats the standard meal.
    assert (row.by_diet["sans_lactose"], row.by_diet["pai"], row.by_diet["standard"]) == (
        1, 1, 1)
    assert row.total == 3
    html = page(agent_client, f"/admin/repas?depuis={canteen_day.isoformat()}&jours=1")
    assert "PAI / panier repas" in html and "Sans porc" in html


def test_dashboard_warns_when_school_holidays_are_not_known(agent_client):
    from models import Enrollment
    from models.calendar import school_holidays_known_until, school_year_of

    beyond = school_year_of(school_holidays_known_until()) + 1  # its holidays are unknown
    db.session.add(Enrollment(child_id=child("Léa").id, activity_id=activity("APS Soir").id,
                              school_year=beyond))
    db.session.commit()
    html = page(agent_client, "/admin/")
    assert "Les dates des vacances scolaires ne sont connues que jusqu'au" in html
    assert f"Pour {beyond}-{beyond + 1}, le planning compte les jours de vacances" in html
