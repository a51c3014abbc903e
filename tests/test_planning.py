"""Taps on the planning, judged by the real worker; both emails received by the SMTP
server of the tests."""
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq.job import JobStatus
from sqlalchemy import func, select

from extensions import db
from jobs import HIGH_QUEUE_NAME, queue, queues
from jobs.requests import process_request
from jobs.sweep import sweep
from models import Booking, Enrollment, Request, RequestLine
from models.calendar import school_year_of
from tests.helpers import (
    activity,
    add_closure,
    at_once,
    body,
    booking_state,
    child,
    csrf_from,
    login,
    make_late,
    page,
    shown,
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


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_tap_reserves_and_the_cell_settles(client, planning, run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    response = tap(client, "Léa", "APS Soir", day)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert len(fragment.encode()) < 2048
    assert "<html" not in fragment
    assert "Réservation en attente" in body(response)
    assert 'hx-trigger="every 2s"' in fragment  # the pending cell asks again by itself

    run_jobs()
    settled = cell_html(client, "Léa", "APS Soir", day)
    assert "Réservé" in settled and "every 2s" not in settled
    assert booking_state("Léa", "APS Soir", day) == "reserved"

    receipt = mailbox.wait_for(planning.PARENT[0], "Demande reçue")
    assert "Nous avons bien reçu votre demande de réservation" in text_of(receipt)
    assert "Léa MARTIN — APS Soir" in text_of(receipt)
    decision = mailbox.wait_for(planning.PARENT[0], "Demande traitée")
    assert "acceptée" in text_of(decision)

    # A tap on the reserved cell declares an absence.
    response = tap(client, "Léa", "APS Soir", day)
    assert "Absence en attente" in body(response)
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "absent"
    assert "Absent" in cell_html(client, "Léa", "APS Soir", day)
    assert len(mailbox.to(planning.PARENT[0])) == 4


def test_a_late_tap_is_refused_with_its_deadline(client, planning, run_jobs, mailbox):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=3)
    make_late(aps, day)
    db.session.commit()
    login(client, *planning.PARENT)
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "none"
    cell = cell_html(client, "Hugo", "APS Soir", day)
    assert "Non réservé" in cell
    assert "Demande refusée (hors délai : la date limite était le" in cell
    decision = text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée"))
    deadline = aps.deadline_for(day)
    assert "refusée (hors délai : la date limite était le" in decision
    line = db.session.scalar(select(RequestLine))
    assert line.reason == "late" and line.deadline_at == deadline


def test_late_reason_names_the_exact_deadline(client, planning, run_jobs, mailbox):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=3)
    make_late(aps, day)
    db.session.commit()
    login(client, *planning.PARENT)
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    from flask_babel import format_datetime

    with client.application.test_request_context():
        words = format_datetime(aps.deadline_for(day), "EEEE d MMMM 'à' HH:mm")
    assert f"la date limite était le {words}" in text_of(
        mailbox.wait_for(planning.PARENT[0], "Demande traitée"))


def test_locked_cells_show_the_limit_and_how_to_reach_the_service(client, planning):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=3)
    make_late(aps, day)
    db.session.commit()
    login(client, *planning.PARENT)
    html = page(client, f"/activites?vue=jour&date={day.isoformat()}")
    assert "Non modifiable : la date limite était le" in html
    assert "En cas d'urgence ou de maladie, contactez le service enfance : 02 40 00 00 00" in html


def test_staff_change_a_deadline_and_the_planning_follows(client, other_client, planning):
    day = upcoming_day(activity("APS Soir"), days_ahead=5)
    login(client, *planning.PARENT)
    url = f"/activites?vue=jour&date={day.isoformat()}"
    assert "Modifiable jusqu'au" in page(client, url)

    login(other_client, *planning.ADMIN)
    aps = activity("APS Soir")
    form = page(other_client, f"/admin/activites/{aps.id}")
    response = other_client.post(f"/admin/activites/{aps.id}", data={
        "csrf_token": csrf_from(form), "name": "APS Soir", "start_time": "16:00",
        "end_time": "18:00", "weekdays": ["1", "2", "4", "5"],
        "deadline_days": str((day - today()).days + 1),
        "deadline_time": "18:00", "capacity": "40", "position": "2", "active": "y"})
    assert response.status_code == 302
    assert "Non modifiable : la date limite était le" in page(client, url)


def test_another_familys_child_is_not_found(client, planning):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("Restauration scolaire"))
    response = tap(client, "Jules", "Restauration scolaire", day)
    assert response.status_code == 404
    assert count(Request) == 0
    assert client.get(f"/activites/case?enfant={child('Jules').id}&activite="
                      f"{activity('Restauration scolaire').id}&jour={day}").status_code == 404


def test_an_activity_the_child_is_not_enrolled_in_is_refused(client, planning, run_jobs,
                                                              mailbox):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("Mercredi JOURNÉE"))
    week = page(client, f"/activites?vue=jour&date={day.isoformat()}")
    assert "Hugo</span> Mercredi JOURNÉE" not in week  # no cell is offered
    tap(client, "Hugo", "Mercredi JOURNÉE", day)  # a forged form
    run_jobs()
    assert booking_state("Hugo", "Mercredi JOURNÉE", day) == "none"
    decision = text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée"))
    assert "n'est pas inscrit à cette activité" in decision


def test_a_tap_without_csrf_token_changes_nothing(client, planning):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    bookings = count(Booking)
    response = client.post("/activites/case", headers=HTMX, data={
        "enfant": child("Léa").id, "activite": activity("APS Soir").id, "jour": day})
    assert response.status_code == 400
    assert "Rechargez la page" in body(response)
    assert count(Request) == 0 and count(Booking) == bookings


def test_bad_dates_get_a_french_message(client, planning):
    login(client, *planning.PARENT)
    token = csrf_from(page(client, "/activites"))
    response = client.post("/activites/case", headers=dict(HTMX, **{"X-CSRFToken": token}),
                           data={"enfant": child("Léa").id, "activite": 1, "jour": "2026-02-31"})
    assert response.status_code == 400
    assert "Cette demande n'est pas valide" in body(response)
    assert "La date demandée n'est pas valide" in page(client, "/activites?date=31-02-2026")


def test_two_taps_in_a_row_make_one_request(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    first = tap(client, "Léa", "APS Soir", day)
    second = tap(client, "Léa", "APS Soir", day, state="none")  # the same page, tapped again
    assert "Réservation en attente" in body(first) and "Réservation en attente" in body(second)
    assert count(Request) == 1
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"


def test_two_guardians_at_once_end_in_one_state(app, planning, run_jobs):
    from models import Guardian, User

    thomas = db.session.scalar(select(Guardian).where(Guardian.first_name == "Thomas"))
    user = User(email="thomas@example.net", guardian=thomas, confirmed_at=datetime.now())
    user.set_password("le mot de passe de thomas")
    db.session.add(user)
    db.session.commit()
    clients = [app.test_client(), app.test_client()]
    login(clients[0], *planning.PARENT)
    login(clients[1], "thomas@example.net", "le mot de passe de thomas")
    day = upcoming_day(activity("APS Soir"))
    tokens = [csrf_from(page(c, "/activites")) for c in clients]
    data = dict(shown(), enfant=child("Léa").id, activite=activity("APS Soir").id,
                jour=day.isoformat())
    def send(index):
        return clients[index].post("/activites/case", data=data, headers=dict(
            HTMX, **{"X-CSRFToken": tokens[index]})).status_code

    statuses = at_once(lambda: send(0), lambda: send(1))
    assert statuses == [200, 200]
    assert count(Request) == 1
    assert db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.child_id == child("Léa").id, Booking.day == day,
        Booking.activity_id == activity("APS Soir").id)) == 1
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"


def test_capacity_is_never_overbooked(client, planning, run_jobs):
    aps = activity("APS Soir")
    aps.capacity = 1
    db.session.commit()
    login(client, *planning.PARENT)
    day = upcoming_day(aps)
    tap(client, "Léa", "APS Soir", day)
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    states = sorted([booking_state("Léa", "APS Soir", day), booking_state("Hugo", "APS Soir", day)])
    assert states == ["none", "reserved"]
    refused = db.session.scalar(select(RequestLine).where(RequestLine.outcome == "refused"))
    assert refused.reason == "full"


def test_a_tap_while_redis_is_down_is_processed_when_it_is_back(app, client, planning,
                                                               run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    token = csrf_from(page(client, "/activites"))
    working = app.extensions["redis"]
    app.extensions["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        response = client.post("/activites/case", headers=dict(HTMX, **{"X-CSRFToken": token}),
                               data=dict(shown(), enfant=child("Léa").id,
                                         activite=activity("APS Soir").id, jour=day))
    finally:
        app.extensions["redis"] = working
    assert "Réservation en attente" in body(response)
    assert all(each.count == 0 for each in queues(app))
    request = db.session.scalar(select(Request))
    request.submitted_at -= timedelta(minutes=2)  # the sweep leaves fresh work alone
    db.session.commit()
    assert sweep()["requeue_lost_requests"] == 1
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    mailbox.wait_for(planning.PARENT[0], "Demande traitée")


def test_the_job_is_idempotent_and_each_email_goes_once(client, planning, run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    request_id = db.session.scalar(select(Request.id))
    assert process_request(request_id) == "already processed"
    queue(client.application).enqueue(process_request, request_id)
    run_jobs()
    assert len(mailbox.to(planning.PARENT[0])) == 2
    assert booking_state("Léa", "APS Soir", day) == "reserved"


def test_a_job_left_started_by_a_killed_worker_is_swept(app, client, planning, run_jobs,
                                                       mailbox):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    request = db.session.scalar(select(Request))
    job = queue(app, HIGH_QUEUE_NAME).fetch_job(f"request-{request.id}")
    # What a worker killed mid-job leaves behind: "started", heartbeat long gone.
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    job.set_status(JobStatus.STARTED)
    job.started_at = job.last_heartbeat = long_ago
    job.save()
    queue(app, HIGH_QUEUE_NAME).remove(job.id)
    request.submitted_at -= timedelta(minutes=10)
    db.session.commit()
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "pending_reservation"
    sweep()
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    sweep()
    run_jobs()
    assert len(mailbox.to(planning.PARENT[0])) == 2


def test_a_closure_releases_bookings_and_tells_the_family(client, other_client, planning,
                                                          run_jobs, mailbox):
    canteen = activity("Restauration scolaire")
    day = upcoming_day(canteen, days_ahead=3)
    booking = db.session.scalar(select(Booking).where(
        Booking.child_id == child("Léa").id, Booking.activity_id == canteen.id,
        Booking.day == day)) or Booking(child_id=child("Léa").id, activity_id=canteen.id, day=day)
    booking.state = "reserved"
    db.session.add(booking)
    db.session.commit()
    login(other_client, *planning.AGENT)
    response = add_closure(other_client, canteen, day, day, "Grève du personnel")
    assert response.status_code == 302
    assert booking_state("Léa", "Restauration scolaire", day) == "none"
    run_jobs()
    email = text_of(mailbox.wait_for(planning.PARENT[0], "Fermeture exceptionnelle"))
    assert "Grève du personnel" in email and "Léa, Restauration scolaire" in email
    login(client, *planning.PARENT)
    html = page(client, f"/activites?vue=jour&date={day.isoformat()}")
    assert "Grève du personnel" in html and "Léa</span> Restauration scolaire" not in html


def test_holidays_show_no_tappable_cell(client, planning):
    login(client, *planning.PARENT)
    html = page(client, "/activites?vue=jour&date=2026-12-25")
    assert "Noël" in html and "cell__button" not in html
    html = page(client, "/activites?vue=jour&date=2026-12-22")
    assert "Vacances de Noël" in html and "cell__button" not in html


def test_mes_demandes_lists_requests_with_their_outcome(client, planning, run_jobs):
    aps = activity("APS Soir")
    login(client, *planning.PARENT)
    day = upcoming_day(aps)
    tap(client, "Léa", "APS Soir", day)
    html = page(client, "/mes-demandes")
    assert "reçue" in html and "en attente" in html
    run_jobs()
    html = page(client, "/mes-demandes")
    assert "traitée" in html and "Léa — APS Soir" in html and "acceptée" in html


@pytest.mark.parametrize("view", ["mois", "semaine", "semaine5", "jour", "liste"])
def test_every_view_renders_full_pages_and_fragments(client, planning, view):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("Restauration scolaire"), days_ahead=0)
    url = f"/activites?vue={view}&date={day.isoformat()}"
    full = page(client, url)
    assert "<html" in full and 'id="planning"' in full and "Restauration scolaire" in full
    fragment = body(client.get(url, headers=HTMX))
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="planning"')


def test_enrollments_are_set_by_staff(client, planning):
    from models import Family

    login(client, *planning.AGENT)
    family = db.session.scalar(select(Family).where(Family.name == "BERNARD"))
    year = school_year_of(today())
    form = page(client, f"/admin/familles/{family.id}/inscriptions?annee={year}")
    jules = child("Jules")
    response = client.post(f"/admin/familles/{family.id}/inscriptions", data={
        "csrf_token": csrf_from(form), "annee": year,
        f"child-{jules.id}": [str(activity("APS Soir").id)]})
    assert response.status_code == 302
    keys = Enrollment.keys_for([jules.id], [year])
    assert keys == {(jules.id, activity("APS Soir").id, year)}


def test_activities_are_configured_by_admins_only(client, other_client, planning):
    login(client, *planning.AGENT)
    assert client.get("/admin/activites").status_code == 200
    assert client.get("/admin/activites/nouvelle").status_code == 403
    login(other_client, *planning.ADMIN)
    form = page(other_client, "/admin/activites/nouvelle")
    response = other_client.post("/admin/activites/nouvelle", data={
        "csrf_token": csrf_from(form), "name": "Étude surveillée", "start_time": "17:00",
        "end_time": "16:00", "weekdays": ["1"], "deadline_days": "1", "deadline_time": "12:00"})
    assert response.status_code == 422
    assert "L'heure de fin doit être après l'heure de début." in body(response)


def test_without_javascript_a_tap_is_a_plain_form(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    week = f"/activites?vue=semaine&date={day.isoformat()}"
    token = csrf_from(page(client, week))
    response = client.post("/activites/case", data=dict(
        shown(), csrf_token=token, enfant=child("Léa").id, activite=activity("APS Soir").id,
        jour=day.isoformat()), headers={"Referer": f"http://localhost{week}"})
    assert response.status_code == 302 and response.headers["Location"] == week
    html = page(client, week)
    assert "Votre demande a été envoyée" in html and "Réservation en attente" in html
