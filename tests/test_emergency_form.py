"""The staff's emergency form checks, before saving, what the job would refuse: a day
the activity does not run, an activity the child is not enrolled in, a full day. The
agent reads why next to the field; nothing is saved and the family gets no email."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Booking, Closure, Request
from tests.helpers import activity, body, child, csrf_from, page, upcoming_day


def emergency(client, action, who, what, day, reason="Appel de la mère ce matin"):
    url = f"/admin/familles/{child(who).family.id}/urgence"
    token = csrf_from(page(client, url))
    return client.post(url, data={"csrf_token": token, "action": action,
                                  "child_id": child(who).id, "activity_id": activity(what).id,
                                  "day": day.isoformat(), "reason": reason})


def error_of(response, field):
    """The errors shown under a field of the form."""
    found = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', body(response),
                      re.S)
    return found[1] if found else ""


def nothing_saved(mailbox):
    return (db.session.scalar(select(func.count(Request.id))) == 0
            and not mailbox.messages)


@pytest.mark.parametrize("action", ["reserve", "absence"])
def test_a_day_the_activity_does_not_run_is_refused_on_the_form(agent_client, planning,
                                                                mailbox, action):
    wednesday = upcoming_day(activity("Mercredi JOURNÉE"))  # APS Soir: not on Wednesdays
    response = emergency(agent_client, action, "Léa", "APS Soir", wednesday)
    assert response.status_code == 422
    assert "Demande enregistrée" not in body(response)
    assert "Cette activité n'a pas lieu ce jour de la semaine." in error_of(response, "day")
    assert nothing_saved(mailbox)


def test_a_closed_day_is_refused_on_the_form(agent_client, planning, mailbox):
    aps = activity("APS Soir")
    day = upcoming_day(aps)
    db.session.add(Closure(activity_id=aps.id, first_day=day, last_day=day, reason="Grève"))
    db.session.commit()
    response = emergency(agent_client, "reserve", "Léa", "APS Soir", day)
    assert response.status_code == 422
    assert "Fermeture exceptionnelle" in error_of(response, "day")
    assert nothing_saved(mailbox)


def test_an_activity_the_child_is_not_enrolled_in_is_refused_on_the_form(agent_client,
                                                                          planning, mailbox):
    day = upcoming_day(activity("Mercredi JOURNÉE"))
    response = emergency(agent_client, "reserve", "Hugo", "Mercredi JOURNÉE", day)
    assert response.status_code == 422
    assert ("Cet enfant n'est pas inscrit à cette activité pour cette année scolaire."
            in error_of(response, "activity_id"))
    assert nothing_saved(mailbox)


def test_a_full_day_is_refused_on_the_form(agent_client, planning, mailbox):
    aps = activity("APS Soir")
    aps.capacity = 1
    day = upcoming_day(aps)
    db.session.add(Booking(child_id=child("Hugo").id, activity_id=aps.id, day=day,
                           state="reserved"))
    db.session.commit()
    response = emergency(agent_client, "reserve", "Léa", "APS Soir", day)
    assert response.status_code == 422
    assert "Complet : il n'y a plus de place ce jour-là." in error_of(response, "day")
    assert nothing_saved(mailbox)


def test_a_past_deadline_is_no_reason_to_refuse_an_agent(agent_client, planning, run_jobs):
    aps = activity("APS Soir")
    day = upcoming_day(aps, days_ahead=1)
    aps.deadline_days = 30
    db.session.commit()
    assert emergency(agent_client, "reserve", "Léa", "APS Soir", day).status_code == 302
    run_jobs()
    assert db.session.scalar(select(Request)).lines[0].outcome == "accepted"


def test_an_accepted_emergency_is_still_saved(agent_client, planning, run_jobs, mailbox):
    day = upcoming_day(activity("Mercredi JOURNÉE"), days_ahead=10) + timedelta(days=0)
    response = emergency(agent_client, "reserve", "Léa", "Mercredi JOURNÉE", day)
    assert response.status_code == 302
    run_jobs()
    assert db.session.scalar(select(Request)).lines[0].outcome == "accepted"
