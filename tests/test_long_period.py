"""Long-period requests: one request, many lines, one job, two grouped emails."""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from extensions import db
from models import Booking, Closure, Enrollment, Request, RequestLine
from models.period import PeriodAsk, never_enrolled, plan_period
from tests.helpers import (
    activity,
    body,
    child,
    login,
    page,
    school_weeks_ahead,
    text_of,
    today,
)


def monday_in(weeks):
    """A Monday at least `weeks` weeks ahead starting two school weeks of APS Soir."""
    return school_weeks_ahead(activity("APS Soir"), weeks, weeks=2)


def form_data(client, **changes):
    html = page(client, "/activites/longue-periode")
    first = monday_in(3)
    data = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1],
        "client_token": re.search(r'name="client_token" type="hidden" value="([^"]+)"', html)[1],
        "action": "reserve", "children": [str(child("Léa").id)],
        "activities": [str(activity("APS Soir").id)], "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=13)).isoformat(), "weekdays": ["1", "2", "4", "5"],
    }
    data.update(changes)
    return data


def requests_count():
    return db.session.scalar(select(func.count(Request.id)))


def test_expansion_follows_weekdays_holidays_closures_and_enrollment(app, planning):
    canteen, wednesday = activity("Restauration scolaire"), activity("Mercredi JOURNÉE")
    lea, hugo = child("Léa"), child("Hugo")
    enrolled = Enrollment.keys_for([lea.id, hugo.id], [2026])
    wanted = [(lea, canteen), (hugo, canteen), (lea, wednesday)]  # May 2027 is in 2026-2027
    for kid, what in wanted:
        if (kid.id, what.id, 2026) not in enrolled:
            db.session.add(Enrollment(child_id=kid.id, activity_id=what.id, school_year=2026))
    db.session.execute(delete(Enrollment).where(Enrollment.child_id == hugo.id,
                                                Enrollment.activity_id == wednesday.id))
    db.session.add(Closure(activity_id=canteen.id, first_day=date(2027, 5, 11),
                           last_day=date(2027, 5, 11), reason="Grève"))
    db.session.execute(delete(Booking).where(Booking.day.between(date(2027, 5, 3),
                                                                  date(2027, 5, 14))))
    db.session.add(Booking(child_id=lea.id, activity_id=canteen.id, day=date(2027, 5, 13),
                           state="reserved"))
    db.session.commit()
    ask = PeriodAsk(action="reserve", children=[lea, hugo], activities=[canteen, wednesday],
                    first_day=date(2027, 5, 3), last_day=date(2027, 5, 14),
                    weekdays={1, 2, 3, 4, 5})
    now = datetime(2027, 5, 5, 9, 0)  # 11:00 in Paris
    groups = {(g.child.first_name, g.activity.name): g for g in plan_period(ask, "B", now)}

    lea_canteen = groups[("Léa", "Restauration scolaire")]
    assert [day for day, _state in lea_canteen.asked] == [
        date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 10), date(2027, 5, 14)]
    assert lea_canteen.late == [date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 10)]
    assert lea_canteen.skipped["public_holiday"] == [date(2027, 5, 6)]  # Ascension
    assert lea_canteen.skipped["school_holiday"] == [date(2027, 5, 7)]  # its bridge
    assert lea_canteen.skipped["closure"] == [date(2027, 5, 11)]
    assert lea_canteen.skipped["already"] == [date(2027, 5, 13)]
    assert lea_canteen.skipped["weekday"] == [date(2027, 5, 5), date(2027, 5, 12)]
    assert len(groups[("Hugo", "Restauration scolaire")].asked) == 5
    assert ("Hugo", "Mercredi JOURNÉE") not in groups  # never enrolled: nothing asked
    assert [(c.first_name, a.name) for c, a in never_enrolled(ask)] == [
        ("Hugo", "Mercredi JOURNÉE")]
    assert groups[("Léa", "Mercredi JOURNÉE")].skipped.get("not_enrolled") is None


def test_one_request_one_job_two_grouped_emails(client, planning, run_jobs, mailbox):
    aps = activity("APS Soir")
    first = monday_in(2)
    aps.deadline_days = (first - today()).days + 3  # the first days are past their deadline
    db.session.commit()
    login(client, *planning.PARENT)
    data = form_data(client, children=[str(child("Léa").id), str(child("Hugo").id)],
                     first_day=first.isoformat(),
                     last_day=(first + timedelta(days=27)).isoformat())
    response = client.post("/activites/longue-periode", data=data)
    assert response.status_code == 302
    assert requests_count() == 1
    request = db.session.scalar(select(Request))
    lines = request.lines
    assert len(lines) >= 10 and request.kind == "period"
    pending = db.session.scalar(select(func.count(Booking.id)).where(
        Booking.state == "pending_reservation"))
    assert pending == len(lines)

    run_jobs()
    db.session.refresh(request)
    assert request.status == "processed"
    refused = [line for line in request.lines if line.outcome == "refused"]
    accepted = [line for line in request.lines if line.outcome == "accepted"]
    assert refused and accepted and all(line.reason == "late" for line in refused)
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.state == "reserved", Booking.activity_id == aps.id)) == len(accepted)

    assert len(mailbox.to(planning.PARENT[0])) == 2
    receipt = text_of(mailbox.wait_for(planning.PARENT[0], "Demande reçue"))
    assert "Léa MARTIN — APS Soir" in receipt and "Hugo MARTIN — APS Soir" in receipt
    assert "jours demandés du" in receipt
    decision = text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée"))
    assert decision.count("hors délai : la date limite était le") == len(refused)
    assert "jours acceptés" in decision

    html = page(client, "/mes-demandes")
    assert "Léa — APS Soir" in html and "Hugo — APS Soir" in html
    assert "jours acceptés" in html and "hors délai" in html


def test_the_same_form_sent_twice_makes_one_request(client, planning):
    login(client, *planning.PARENT)
    data = form_data(client)
    assert client.post("/activites/longue-periode", data=data).status_code == 302
    again = client.post("/activites/longue-periode", data=data)
    assert again.status_code == 302
    assert requests_count() == 1
    assert "avait déjà été envoyée" in page(client, again.headers["Location"])


@pytest.mark.parametrize("changes, message", [
    ({"last_day": "2020-01-01"}, "La date de fin ne peut pas précéder la date de début."),
    ({"first_day": "2020-01-06", "last_day": "2020-01-10"},
     "La date de début ne peut pas être passée."),
    ({"last_day": "2099-12-31"}, "La période ne peut pas dépasser une année scolaire."),
    ({"children": []}, "Choisissez au moins un enfant."),
    ({"activities": []}, "Choisissez au moins une activité."),
    ({"weekdays": []}, "Choisissez au moins un jour de la semaine."),
    ({"first_day": "31/02/2027"}, "Saisissez une date de début valide."),
])
def test_bad_input_is_refused_in_french_and_saves_nothing(client, planning, changes, message):
    login(client, *planning.PARENT)
    response = client.post("/activites/longue-periode", data=form_data(client, **changes))
    assert response.status_code == 422
    assert message in body(response)
    assert requests_count() == 0


def test_another_familys_child_is_refused(client, planning):
    login(client, *planning.PARENT)
    response = client.post("/activites/longue-periode",
                           data=form_data(client, children=[str(child("Jules").id)]))
    assert response.status_code == 422
    assert "Cet enfant ne fait pas partie de votre famille." in body(response)
    assert "Jules" not in body(response)
    assert requests_count() == 0


def test_an_activity_the_child_is_not_enrolled_in_is_refused(client, planning):
    login(client, *planning.PARENT)
    response = client.post("/activites/longue-periode", data=form_data(
        client, activities=[str(activity("APS Matin").id)]))
    assert response.status_code == 422
    assert "Léa n'est inscrit(e) à aucune des activités choisies" in body(response)
    assert "Aucun des enfants choisis n'est inscrit à « APS Matin »" in body(response)
    assert requests_count() == 0 and db.session.scalar(select(func.count(RequestLine.id))) == 0


def test_preview_says_what_will_happen(client, planning):
    login(client, *planning.PARENT)
    aps = activity("APS Soir")
    first = monday_in(2)
    aps.deadline_days = (first - today()).days + 3
    db.session.commit()
    data = form_data(client, first_day=first.isoformat(),
                     last_day=(first + timedelta(days=27)).isoformat())
    html = body(client.post("/activites/longue-periode/apercu", data=data,
                            headers={"HX-Request": "true", "X-CSRFToken": data["csrf_token"]}))
    assert "<html" not in html
    assert "Léa — APS Soir" in html and "jours demandés" in html
    assert "hors délai" in html
    assert requests_count() == 0  # a preview saves nothing
    wrong = body(client.post("/activites/longue-periode/apercu", data=dict(data, weekdays=[]),
                             headers={"HX-Request": "true"}))
    assert "Choisissez au moins un jour de la semaine." in wrong
    mixed = body(client.post("/activites/longue-periode/apercu", data=dict(
        data, children=[str(child("Léa").id), str(child("Hugo").id)],
        activities=[str(activity("APS Matin").id), str(activity("APS Soir").id)]),
        headers={"HX-Request": "true"}))
    assert "Hugo — APS Matin" in mixed and "Léa — APS Matin" not in mixed
    assert "Léa n'est pas inscrit(e) à « APS Matin » : rien ne sera demandé" in mixed
