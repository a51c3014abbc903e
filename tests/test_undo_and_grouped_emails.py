"""Taking a tap back, and the emails of taps grouped in one batch: the real RQ worker
decides, the SMTP sink of the tests receives. Days are asked of the calendar."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from extensions import db
from jobs import HIGH_QUEUE_NAME, queue
from jobs.requests import send_batch
from jobs.sweep import sweep
from models import AuditEvent, Booking, EmailBatch, Request, RequestLine
from models.undo import UNDO_WINDOW
from tests.helpers import (
    HTMX,
    activity,
    body,
    booking_state,
    child,
    csrf_from,
    login,
    make_late,
    other_family_parent,
    page,
    school_weeks_ahead,
    tap,
    text_of,
    upcoming_day,
)


@pytest.fixture
def grouped(app):
    """Emails grouped as in production: taps within 2 minutes share them."""
    app.config["EMAIL_GROUP_SECONDS"] = 120
    yield
    app.config["EMAIL_GROUP_SECONDS"] = 0


def close_batches():
    """What two minutes after the last tap look like: every batch has closed (and the
    sweep's grace has passed)."""
    for batch in db.session.scalars(select(EmailBatch)):
        batch.closes_at -= timedelta(minutes=3)
    db.session.commit()


def last_request_id():
    return db.session.scalar(select(func.max(Request.id)))


def undo(client, request_id, headers=HTMX, token=None):
    token = token or csrf_from(page(client, "/activites"))
    return client.post("/activites/annuler", headers=dict(headers, **{"X-CSRFToken": token}),
                       data={"demande": request_id})


def cell_html(client, who, what, day):
    return body(client.get(f"/activites/case?enfant={child(who).id}"
                           f"&activite={activity(what).id}&jour={day.isoformat()}",
                           headers=HTMX))


def week_of_canteen(client):
    canteen = activity("Restauration scolaire")
    monday = school_weeks_ahead(canteen, weeks_ahead=2)
    days = [monday + timedelta(days=n) for n in range(5)
            if (monday + timedelta(days=n)).isoweekday() in canteen.weekday_numbers]
    # The demo family eats at the canteen on its usual days: that week starts blank.
    db.session.execute(delete(Booking).where(Booking.activity_id == canteen.id,
                                             Booking.day.between(days[0], days[-1])))
    db.session.commit()
    for day in days:
        for name in ("Léa", "Hugo"):
            assert tap(client, name, canteen.name, day).status_code == 200
    return canteen, days


def test_a_week_of_taps_brings_one_receipt_and_one_decision(client, planning, run_jobs,
                                                           mailbox, grouped):
    login(client, *planning.PARENT)
    canteen, days = week_of_canteen(client)
    taps = db.session.scalar(select(func.count(Request.id)))
    assert taps == 2 * len(days) >= 8
    run_jobs()
    # Every cell is decided within the run, the emails wait for the window to close.
    assert all(booking_state(n, canteen.name, d) == "reserved"
               for d in days for n in ("Léa", "Hugo"))
    assert db.session.scalar(select(func.count(EmailBatch.id))) == 1
    assert mailbox.to(planning.PARENT[0]) == []
    # The batch's closing job waits in RQ's scheduler; run early it says so.
    batch_id = db.session.scalar(select(EmailBatch.id))
    assert any(job_id.startswith(f"batch-{batch_id}-")
               for job_id in queue(client.application, HIGH_QUEUE_NAME)
               .scheduled_job_registry.get_job_ids())
    assert send_batch(batch_id) == "open"

    close_batches()
    assert sweep()["send_closed_batches"] == 1
    run_jobs()
    receipt = mailbox.wait_for(planning.PARENT[0], "Demande reçue")
    decision = mailbox.wait_for(planning.PARENT[0], "Demande traitée")
    text = text_of(decision)
    assert f"Vos {taps} demandes envoyées à partir du" in text
    assert text.count("acceptée") == taps
    assert "Léa MARTIN — Restauration scolaire" in text
    assert "Hugo MARTIN — Restauration scolaire" in text
    assert f"Nous avons bien reçu vos {taps} demandes" in text_of(receipt)
    # Exactly once, whatever runs again.
    sweep()
    assert send_batch(batch_id) == "sent"
    run_jobs()
    assert len(mailbox.to(planning.PARENT[0])) == 2


def test_a_tap_after_the_window_opens_a_new_batch(client, planning, run_jobs, mailbox, grouped):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    close_batches()
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    assert db.session.scalar(select(func.count(EmailBatch.id))) == 2
    sweep()
    run_jobs()
    assert len(mailbox.to(planning.PARENT[0])) == 2  # the first batch's two only
    close_batches()
    sweep()
    run_jobs()
    assert len(mailbox.to(planning.PARENT[0])) == 4


def test_undo_a_reservation_inside_the_window(client, planning, run_jobs, mailbox, grouped):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    response = tap(client, "Léa", "APS Soir", day)
    assert "Annuler ma demande" in body(response)
    assert "encore 15 min" in body(response)
    run_jobs()
    cell = cell_html(client, "Léa", "APS Soir", day)
    assert "Réservé" in cell and "Revenir en arrière" in cell

    answer = undo(client, last_request_id())
    assert answer.status_code == 200
    assert "Demande annulée : la case est revenue à « Non réservé »." in body(answer)
    assert "Revenir en arrière" not in body(answer)
    assert booking_state("Léa", "APS Soir", day) == "none"
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "request.undone")) == "request.undone"
    # The decision email had not gone: nothing to say, and the batch says nothing of it.
    close_batches()
    sweep()
    run_jobs()
    assert mailbox.to(planning.PARENT[0]) == []
    # A second undo of the same request is answered in words.
    again = undo(client, last_request_id())
    assert "Cette demande a déjà été annulée." in body(again)


def test_undo_before_the_decision_leaves_nothing_to_decide(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Hugo", "APS Soir", day)
    assert booking_state("Hugo", "APS Soir", day) == "pending_reservation"
    assert "Demande annulée" in body(undo(client, last_request_id()))
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "none"
    assert db.session.scalar(select(RequestLine.outcome)) == "undone"


def test_undo_after_the_decision_email_sends_one_more(client, planning, run_jobs, mailbox):
    # Not grouped (the suite's default): the decision email has gone already.
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    mailbox.wait_for(planning.PARENT[0], "Demande traitée")
    assert "Demande annulée" in body(undo(client, last_request_id()))
    run_jobs()
    undone = mailbox.wait_for(planning.PARENT[0], "Demande annulée")
    assert "a été annulée à votre demande" in text_of(undone)
    assert "Non réservé" in text_of(undone)
    assert len(mailbox.to(planning.PARENT[0])) == 3


def test_undo_outside_the_window_is_refused_in_words(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    request = db.session.get(Request, last_request_id())
    request.submitted_at -= UNDO_WINDOW + timedelta(seconds=5)
    db.session.commit()
    cell = cell_html(client, "Léa", "APS Soir", day)
    assert "Revenir en arrière" not in cell
    answer = undo(client, request.id)
    assert answer.status_code == 200
    assert "Il est trop tard pour annuler cette demande" in body(answer)
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    assert "Revenir en arrière" not in page(client, "/mes-demandes")


def test_the_deadline_ends_the_window_when_it_comes_first(client, planning, run_jobs):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=3)
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    make_late(aps, day)  # the deadline passed right after the tap
    db.session.commit()
    request = db.session.get(Request, last_request_id())
    request.submitted_at = aps.deadline_for(day) - timedelta(minutes=1)
    db.session.commit()
    assert "Il est trop tard" in body(undo(client, request.id))
    assert booking_state("Léa", "APS Soir", day) == "reserved"


def test_undo_from_mes_demandes(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    listing = page(client, "/mes-demandes")
    assert "Revenir en arrière" in listing and "encore 15 min" in listing
    response = undo(client, last_request_id(), headers={}, token=csrf_from(listing))
    assert response.status_code == 302 and response.headers["Location"].endswith("/mes-demandes")
    listing = page(client, "/mes-demandes")
    assert "Demande annulée : la case est revenue à « Non réservé »." in listing
    assert "annulée" in listing and "Revenir en arrière" not in listing
    assert booking_state("Léa", "APS Soir", day) == "none"


def test_a_reservation_taken_back_gives_its_place_to_the_line(client, planning, run_jobs,
                                                              mailbox):
    aps = activity("APS Soir")
    aps.capacity, aps.waiting_list = 1, True
    aps.deadline_days, aps.deadline_working_days = 0, False
    db.session.commit()
    day = upcoming_day(aps, days_ahead=3)
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    lea_request = last_request_id()
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "waiting"
    undo(client, lea_request)
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "none"
    assert booking_state("Hugo", "APS Soir", day) == "reserved"
    mailbox.wait_for(planning.PARENT[0], "Une place s'est libérée")


def test_an_absence_taken_back_needs_its_place(client, planning, run_jobs):
    aps = activity("APS Soir")
    aps.capacity, aps.waiting_list = 1, True
    aps.deadline_days, aps.deadline_working_days = 0, False
    db.session.commit()
    day = upcoming_day(aps, days_ahead=3)
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    tap(client, "Léa", "APS Soir", day)  # an absence: Hugo gets the place
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "reserved"
    answer = undo(client, last_request_id())
    assert "La place a été donnée entre-temps à un autre enfant" in body(answer)
    assert booking_state("Léa", "APS Soir", day) == "absent"
    # Without a line waiting, the absence taken back gets the place back.
    tap(client, "Hugo", "APS Soir", day)  # Hugo's absence frees it
    run_jobs()
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    assert "Demande annulée : la case est revenue à « Réservé »." in body(
        undo(client, last_request_id()))
    assert booking_state("Léa", "APS Soir", day) == "reserved"


def test_a_cell_changed_since_is_not_undone(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    first = last_request_id()
    tap(client, "Léa", "APS Soir", day)  # then an absence
    run_jobs()
    assert "Cette case a changé depuis la demande" in body(undo(client, first))
    assert booking_state("Léa", "APS Soir", day) == "absent"


def test_forged_and_foreign_undos(client, other_client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    request_id = last_request_id()
    other_family_parent(other_client)
    assert undo(other_client, request_id).status_code == 404
    assert undo(client, request_id + 1000).status_code == 404
    token = csrf_from(page(client, "/activites"))
    for value in ("abc", "-1", "99999999999999", ""):
        response = client.post("/activites/annuler", headers=dict(HTMX, **{"X-CSRFToken": token}),
                               data={"demande": value})
        assert response.status_code == 400, value
        assert "Cette demande n'est pas valide" in body(response)
    # A request made by the long-period form (here, one with no line) is not undone here.
    empty = Request(family_id=child("Léa").family_id, kind="period", action="reserve",
                    status="processed")
    db.session.add(empty)
    db.session.commit()
    answer = undo(client, empty.id)
    assert answer.status_code == 409 and answer.headers["HX-Retarget"] == "#alerts"
    assert "Cette demande ne peut pas être annulée ici" in body(answer)
    no_csrf = client.post("/activites/annuler", headers=HTMX, data={"demande": request_id})
    assert no_csrf.status_code == 400
    assert booking_state("Léa", "APS Soir", day) == "reserved"


def test_the_fields_one_agent_decides_in_a_row_bring_one_email(parent_client, other_client,
                                                               demo, run_jobs, mailbox,
                                                               grouped):
    from tests.family_helpers import edit
    from tests.test_family_file import decide, pending_change

    response = edit(parent_client, "/ma-famille/adresse/modifier",
                    {"address_line": "8 avenue du Port", "postal_code": "44000",
                     "city": "Nantes"})
    assert response.status_code == 302
    login(other_client, *demo.AGENT)
    decide(other_client, pending_change("address_line"), "approve")
    decide(other_client, pending_change("postal_code"), "approve")
    decide(other_client, pending_change("city"), "reject", "Merci de joindre un justificatif.")
    run_jobs()
    assert mailbox.to(demo.PARENT[0]) == []  # the agent may go on deciding
    close_batches()
    assert sweep()["send_closed_change_batches"] == 1
    run_jobs()
    sweep()
    run_jobs()
    emails = mailbox.to(demo.PARENT[0])
    assert len(emails) == 1
    assert emails[0]["Subject"] == "Vos modifications du dossier famille ont été examinées"
    text = text_of(emails[0])
    assert text.count("validée, désormais enregistrée dans votre dossier") == 2
    assert text.count("non acceptée, votre dossier reste tel qu'il était") == 1
    assert "Merci de joindre un justificatif." in text


def test_a_whole_week_in_one_tap_per_child(client, planning, run_jobs, mailbox, grouped):
    login(client, *planning.PARENT)
    canteen = activity("Restauration scolaire")
    monday = school_weeks_ahead(canteen, weeks_ahead=2)
    db.session.execute(delete(Booking).where(
        Booking.activity_id == canteen.id,
        Booking.day.between(monday, monday + timedelta(days=6))))
    db.session.commit()
    week = page(client, f"/activites?vue=semaine&date={monday.isoformat()}")
    assert "Réserver toute la semaine" in week
    assert "Léa — Restauration scolaire : réserver les" in week
    token = csrf_from(week)
    for name in ("Léa", "Hugo"):
        response = client.post("/activites/semaine",
                               headers=dict(HTMX, **{"X-CSRFToken": token}),
                               data={"enfant": child(name).id, "activite": canteen.id,
                                     "semaine": monday.isoformat(), "vue": "semaine"})
        assert response.status_code == 200
        assert f"{name}, Restauration scolaire : " in body(response)
        assert "Réservation en attente" in body(response)
    run_jobs()
    days = [monday + timedelta(days=n) for n in range(7)
            if (monday + timedelta(days=n)).isoweekday() in canteen.weekday_numbers]
    assert all(booking_state(n, canteen.name, d) == "reserved"
               for d in days for n in ("Léa", "Hugo"))
    # Again: nothing left to reserve, nothing saved.
    again = client.post("/activites/semaine", headers=dict(HTMX, **{"X-CSRFToken": token}),
                        data={"enfant": child("Léa").id, "activite": canteen.id,
                              "semaine": monday.isoformat()})
    assert "Rien à réserver cette semaine pour Léa" in body(again)
    assert db.session.scalar(select(func.count(Request.id))) == 2
    close_batches()
    sweep()
    run_jobs()
    assert len(mailbox.to(planning.PARENT[0])) == 2
    # Another family's child is not found.
    foreign = client.post("/activites/semaine", headers=dict(HTMX, **{"X-CSRFToken": token}),
                          data={"enfant": child("Jules").id, "activite": canteen.id,
                                "semaine": monday.isoformat()})
    assert foreign.status_code == 404


def test_the_other_guardian_sees_no_undo_and_cannot_undo(app, client, other_client, planning,
                                                         run_jobs):
    from models import User

    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    claire = db.session.scalar(select(User).where(User.email == planning.PARENT[0]))
    thomas = User(email="thomas.martin@example.net", civility="M.", first_name="Thomas",
                  last_name="Martin", guardian=claire.guardian.family.guardians[1],
                  confirmed_at=claire.confirmed_at)
    thomas.set_password("une phrase de passe assez longue")
    db.session.add(thomas)
    db.session.commit()
    login(other_client, "thomas.martin@example.net", "une phrase de passe assez longue")
    cell = cell_html(other_client, "Léa", "APS Soir", day)
    assert "Revenir en arrière" not in cell and "Signaler une absence" in cell
    assert "Revenir en arrière" not in page(other_client, "/mes-demandes")
    assert "lui seul peut l'annuler" in body(undo(other_client, last_request_id()))
    assert booking_state("Léa", "APS Soir", day) == "reserved"
