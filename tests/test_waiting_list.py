"""Places left and waiting lists, judged by the real worker: a full day puts the
reservation in line with its rank, a freed place goes to the first in line (emailed),
a family leaves the line, two workers never give one place twice."""
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import Booking, RequestLine
from models.planning import WAITING
from models.waiting import lock_activity, move, promote, promote_one, waiting_list
from tests.helpers import (
    activity,
    at_once,
    body,
    booking_state,
    child,
    login,
    tap,
    text_of,
    upcoming_day,
)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def cell_html(client, who, what, day):
    return body(client.get(f"/activites/case?enfant={child(who).id}"
                           f"&activite={activity(what).id}&jour={day.isoformat()}",
                           headers=HTMX))


def small(capacity=1, waiting=True):
    aps = activity("APS Soir")
    aps.capacity, aps.waiting_list = capacity, waiting
    aps.deadline_days, aps.deadline_working_days = 0, False
    db.session.commit()
    return aps


def test_a_full_day_puts_the_reservation_in_line_and_a_freed_place_promotes_it(
        client, planning, run_jobs, mailbox):
    small()
    day = upcoming_day(activity("APS Soir"), days_ahead=3)
    login(client, *planning.PARENT)
    assert "plus qu'une place" in cell_html(client, "Léa", "APS Soir", day)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    assert "Complet : votre demande ira en liste d'attente" in cell_html(
        client, "Hugo", "APS Soir", day)

    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "waiting"
    cell = cell_html(client, "Hugo", "APS Soir", day)
    assert "En liste d'attente (rang 1)" in cell
    # For 15 minutes the way back takes the place of the verb (models/undo.py).
    assert "Revenir en arrière" in cell and "Quitter la liste d'attente" not in cell
    line = db.session.scalar(select(RequestLine).where(RequestLine.child_id == child("Hugo").id))
    assert line.outcome == "waiting" and line.reason == "full"
    assert "en liste d'attente" in body(client.get("/mes-demandes"))
    mailbox.clear()

    tap(client, "Léa", "APS Soir", day)  # Léa's absence frees the place
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "absent"
    assert booking_state("Hugo", "APS Soir", day) == "reserved"
    promoted = text_of(mailbox.wait_for(planning.PARENT[0], "Une place s'est libérée"))
    assert "Hugo, APS Soir" in promoted
    assert "Réservé" in cell_html(client, "Hugo", "APS Soir", day)


def test_without_a_waiting_list_a_full_day_is_refused(client, planning, run_jobs):
    small(waiting=False)
    day = upcoming_day(activity("APS Soir"), days_ahead=3)
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    assert ">Complet<" in cell_html(client, "Hugo", "APS Soir", day)
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "none"


def test_a_family_leaves_the_line(client, planning, run_jobs):
    small()
    day = upcoming_day(activity("APS Soir"), days_ahead=3)
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "waiting"
    tap(client, "Hugo", "APS Soir", day)  # « Quitter la liste d'attente »
    run_jobs()
    assert booking_state("Hugo", "APS Soir", day) == "none"


def put_in_line(aps, day, *names):
    for position, name in enumerate(names, start=1):
        db.session.add(Booking(child_id=child(name).id, activity_id=aps.id, day=day,
                               state=WAITING, waiting_position=position))
    db.session.commit()


def test_two_workers_never_give_one_place_twice(app, planning):
    aps = small(capacity=1)
    day = upcoming_day(aps, days_ahead=3)
    put_in_line(aps, day, "Léa", "Hugo")
    activity_id = aps.id

    def worker():
        with app.app_context():
            promoted = [b.id for b in promote(lock_activity(activity_id), [day])]
            db.session.commit()
            return promoted

    results = at_once(worker, worker)
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(len(r) for r in results) == [0, 1]
    assert booking_state("Léa", "APS Soir", day) == "reserved"  # the first in line
    assert booking_state("Hugo", "APS Soir", day) == "waiting"


def test_staff_reorder_the_line_and_promote_by_hand(app, planning):
    aps = small(capacity=1)
    aps.promote_by_hand = True
    db.session.commit()
    day = upcoming_day(aps, days_ahead=3)
    put_in_line(aps, day, "Léa", "Hugo")
    assert promote(lock_activity(aps.id), [day]) == []  # by hand only
    db.session.commit()
    hugo = waiting_list(aps.id, day)[1]
    move(hugo.id, -1)
    db.session.commit()
    assert [b.child.first_name for b in waiting_list(aps.id, day)] == ["Hugo", "Léa"]
    assert promote_one(hugo.id) is not None
    db.session.commit()
    assert booking_state("Hugo", "APS Soir", day) == "reserved"
    léa = waiting_list(aps.id, day)[0]
    assert promote_one(léa.id) is None  # no place left


def test_staff_see_the_lines_and_a_raised_capacity_promotes(client, planning, run_jobs,
                                                            mailbox):
    from tests.helpers import csrf_from, page

    aps = small(capacity=1)
    day = upcoming_day(aps, days_ahead=3)
    db.session.add(Booking(child_id=child("Léa").id, activity_id=aps.id, day=day,
                           state="reserved"))
    put_in_line(aps, day, "Hugo")
    login(client, *planning.ADMIN)
    html = page(client, "/admin/listes-attente")
    assert "APS Soir" in html and "Hugo (famille MARTIN)" in html
    hugo = waiting_list(aps.id, day)[0]
    assert client.post(f"/admin/listes-attente/{hugo.id}/monter").status_code == 400  # CSRF
    assert client.post(f"/admin/listes-attente/{hugo.id}/sauter",
                       data={"csrf_token": csrf_from(html)}).status_code == 404

    form = page(client, f"/admin/activites/{aps.id}")
    response = client.post(f"/admin/activites/{aps.id}", data={
        "csrf_token": csrf_from(form), "name": "APS Soir", "start_time": "16:30",
        "end_time": "18:30", "weekdays": ["1", "2", "4", "5"], "deadline_kind": "days_before",
        "deadline_days": "0", "deadline_time": "18:00", "capacity": "2", "waiting_list": "y",
        "position": "2", "active": "y"})
    assert response.status_code == 302
    assert booking_state("Hugo", "APS Soir", day) == "reserved"
    run_jobs()
    assert "Hugo, APS Soir" in text_of(mailbox.wait_for(planning.PARENT[0],
                                                        "Une place s'est libérée"))


def test_the_week_page_and_the_cell_keep_their_query_count(app, client, planning):
    """Places left and ranks cost a query each per page, whatever the number of cells
    on a waiting list."""
    from sqlalchemy import event

    from models.reference import forget_kept
    from tests.helpers import page, school_weeks_ahead

    aps = small(capacity=1)
    monday = school_weeks_ahead(aps, 2)
    days = [monday + timedelta(days=n) for n in (0, 1, 3)]
    url = f"/activites?vue=semaine&date={monday.isoformat()}"
    login(client, *planning.PARENT)
    counted = []

    def record(*_args):
        counted.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        put_in_line(aps, days[0], "Hugo")
        forget_kept()  # both pages read the town and the activities
        counted.clear()
        page(client, url)
        one = len(counted)
        counted.clear()
        cell_html(client, "Hugo", "APS Soir", days[0])
        one_cell = len(counted)
        for day in days[1:]:
            put_in_line(aps, day, "Hugo")
        put_in_line(aps, days[1], "Léa")
        forget_kept()
        counted.clear()
        page(client, url)
        assert len(counted) == one
        counted.clear()
        cell_html(client, "Léa", "APS Soir", days[1])
        assert len(counted) == one_cell
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_rules_page_says_the_waiting_list(client, planning):
    from tests.helpers import page

    small(capacity=6)
    assert ("Un jour complet ouvre une liste d'attente : une place libérée revient "
            "automatiquement au premier de la liste, prévenu par email.") in page(
                client, "/reglement-interieur")
