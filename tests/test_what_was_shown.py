"""A tap does what its button said: a request carries what the person saw, and when the
planning changed meanwhile (another guardian, another tab, an agent), nothing is asked
and the person sees what it is now. The same for the long-period form and the staff's
emergency form."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Booking, Guardian, Request, RequestLine, User
from models.undo import UNDO_WINDOW
from tests.helpers import activity, at_once, body, child, csrf_from, login, page, upcoming_day

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
THOMAS = ("thomas@example.net", "le mot de passe de thomas")


def add_thomas():
    """Thomas MARTIN, Claire's co-guardian, gets an account of his own."""
    thomas = db.session.scalar(select(Guardian).where(Guardian.first_name == "Thomas"))
    user = User(email=THOMAS[0], guardian=thomas, confirmed_at=datetime.now())
    user.set_password(THOMAS[1])
    db.session.add(user)
    db.session.commit()


@pytest.fixture
def two_guardians(app, planning):
    add_thomas()
    claire, thomas = app.test_client(), app.test_client()
    login(claire, *planning.PARENT)
    login(thomas, *THOMAS)
    return claire, thomas


def dom_id(who, what, day):
    return f"cell-{child(who).id}-{activity(what).id}-{day:%Y%m%d}"


def shown_cell(client, who, what, day):
    """The cell as the week page shows it: its text and the fields its button sends."""
    html = page(client, f"/activites?vue=semaine&date={day.isoformat()}")
    start = html.index(f'id="{dom_id(who, what, day)}"')
    cell = html[start:html.index("</div>", start)]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', cell))
    return cell, fields, csrf_from(html)


def press(client, shown, htmx=True):
    """Press the button of a cell as it was shown (the page may be stale by now)."""
    _cell, fields, token = shown
    headers = dict(HTMX, **{"X-CSRFToken": token}) if htmx else {}
    return client.post("/activites/case", data=fields, headers=headers)


def state_of(who, what, day):
    return db.session.scalar(select(Booking.state).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day))


def actions_asked():
    return db.session.scalars(select(RequestLine.action).order_by(RequestLine.id)).all()


def test_a_stale_reserve_button_does_not_declare_an_absence(two_guardians, run_jobs):
    claire, thomas = two_guardians
    day = upcoming_day(activity("APS Soir"))
    seen_by_claire = shown_cell(claire, "Léa", "APS Soir", day)
    seen_by_thomas = shown_cell(thomas, "Léa", "APS Soir", day)
    assert "Non réservé" in seen_by_thomas[0] and "Réserver" in seen_by_thomas[0]
    assert seen_by_thomas[1]["action"] == "reserve" and seen_by_thomas[1]["etat"] == "none"

    assert press(claire, seen_by_claire).status_code == 200
    run_jobs()
    assert state_of("Léa", "APS Soir", day) == "reserved"

    answer = press(thomas, seen_by_thomas)  # his screen still says "Réserver"
    assert answer.status_code == 200
    assert "Cette case a changé entre-temps : Réservé. Rien n'a été demandé." in body(answer)
    assert f'id="{dom_id("Léa", "APS Soir", day)}"' in body(answer)
    assert actions_asked() == ["reserve"]  # no absence was declared
    assert state_of("Léa", "APS Soir", day) == "reserved"


def test_a_stale_absence_button_does_not_reserve_again(two_guardians, run_jobs):
    claire, thomas = two_guardians
    day = upcoming_day(activity("APS Soir"))
    press(claire, shown_cell(claire, "Léa", "APS Soir", day))
    run_jobs()
    # Past the 15 minutes to take it back: her cell offers its verb again.
    for request in db.session.scalars(select(Request)):
        request.submitted_at -= UNDO_WINDOW + timedelta(minutes=1)
    db.session.commit()
    seen_by_claire = shown_cell(claire, "Léa", "APS Soir", day)
    seen_by_thomas = shown_cell(thomas, "Léa", "APS Soir", day)
    assert seen_by_thomas[1]["action"] == "absence"
    press(claire, seen_by_claire)
    run_jobs()
    assert state_of("Léa", "APS Soir", day) == "absent"

    answer = press(thomas, seen_by_thomas, htmx=False)  # without JavaScript
    assert answer.status_code == 302
    assert "Cette case a changé entre-temps : Absent. Rien n'a été demandé." in page(
        thomas, answer.headers["Location"])
    assert actions_asked() == ["reserve", "absence"]
    assert state_of("Léa", "APS Soir", day) == "absent"


def test_a_pending_cell_keeps_the_note_while_it_settles(two_guardians, run_jobs):
    claire, thomas = two_guardians
    day = upcoming_day(activity("APS Soir"))
    seen_by_thomas = shown_cell(thomas, "Léa", "APS Soir", day)
    press(claire, shown_cell(claire, "Léa", "APS Soir", day))
    answer = body(press(thomas, seen_by_thomas))
    assert "Cette case a changé entre-temps : Réservation en attente." in answer
    poll = re.search(r'hx-get="([^"]+)"', answer)[1].replace("&amp;", "&")
    assert "Cette case a changé entre-temps" in body(thomas.get(poll, headers=HTMX))
    run_jobs()
    settled = body(thomas.get(poll, headers=HTMX))
    assert "Cette case a changé entre-temps : Réservé." in settled
    assert "hx-get" not in settled  # settled: it stops asking


def test_two_guardians_pressing_at_once_make_one_request(two_guardians, run_jobs):
    claire, thomas = two_guardians
    day = upcoming_day(activity("APS Soir"))
    seen = [shown_cell(c, "Léa", "APS Soir", day) for c in (claire, thomas)]
    answers = at_once(lambda: press(claire, seen[0]), lambda: press(thomas, seen[1]))
    assert [a.status_code for a in answers] == [200, 200]
    notes = [body(a).count("Cette case a changé entre-temps") for a in answers]
    assert sorted(notes) == [0, 1]
    assert actions_asked() == ["reserve"]
    run_jobs()
    assert state_of("Léa", "APS Soir", day) == "reserved"


@pytest.mark.parametrize("fields", [
    {"action": "absence", "etat": "none"},      # a button no cell shows
    {"action": "reserve", "etat": "pending_reservation"},
    {"action": "annuler", "etat": "reserved"},
    {"action": "reserve"},
    {"etat": "none"},
    {},                                         # what a tap sent before it said its action
])
def test_a_tap_that_does_not_say_what_was_shown_is_refused(client, planning, fields):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    token = csrf_from(page(client, "/activites"))
    response = client.post("/activites/case", headers=dict(HTMX, **{"X-CSRFToken": token}),
                           data=dict(fields, enfant=child("Léa").id,
                                     activite=activity("APS Soir").id, jour=day.isoformat()))
    assert response.status_code == 400
    assert "Cette demande n'est pas valide" in body(response)
    assert db.session.scalar(select(func.count(Request.id))) == 0


# The long-period form -------------------------------------------------------------------

def period_form(client, first, last):
    html = page(client, "/activites/longue-periode")
    return {
        "csrf_token": csrf_from(html),
        "client_token": re.search(r'name="client_token" type="hidden" value="([^"]+)"', html)[1],
        "action": "reserve", "children": [str(child("Léa").id)],
        "activities": [str(activity("APS Soir").id)], "first_day": first.isoformat(),
        "last_day": last.isoformat(), "weekdays": ["1", "2", "4", "5"]}


def preview(client, data):
    """The preview the page shows for these fields, and the field it adds to the form."""
    html = body(client.post("/activites/longue-periode/apercu", data=data, headers=dict(
        HTMX, **{"X-CSRFToken": data["csrf_token"]})))
    return html, re.search(r'name="apercu" value="([^"]+)"', html)[1]


def test_a_period_whose_plan_changed_since_its_preview_is_not_sent(two_guardians, run_jobs):
    claire, thomas = two_guardians
    aps = activity("APS Soir")
    first = upcoming_day(aps, days_ahead=14)
    last = first + timedelta(days=13)
    data = period_form(claire, first, last)
    shown, fingerprint = preview(claire, data)
    assert "déjà réservé" not in shown

    press(thomas, shown_cell(thomas, "Léa", "APS Soir", first))  # meanwhile, Thomas
    run_jobs()

    answer = claire.post("/activites/longue-periode", data=dict(data, apercu=fingerprint))
    assert answer.status_code == 409
    html = body(answer)
    assert "Le planning a changé depuis l'aperçu" in html
    assert "1 jour ignoré (déjà réservé)" in html  # the new preview, in the page
    assert db.session.scalar(select(func.count(Request.id))) == 1  # Thomas's only

    renewed = re.search(r'name="apercu" value="([^"]+)"', html)[1]
    assert claire.post("/activites/longue-periode",
                       data=dict(data, apercu=renewed)).status_code == 302
    period = db.session.scalar(select(Request).where(Request.kind == "period"))
    assert first not in [line.day for line in period.lines]


def test_a_period_sent_after_its_fields_changed_shows_the_new_preview(client, planning):
    login(client, *planning.PARENT)
    aps = activity("APS Soir")
    first = upcoming_day(aps, days_ahead=14)
    data = period_form(client, first, first + timedelta(days=13))
    _shown, fingerprint = preview(client, data)
    data["action"] = "absence"  # changed, and sent before the preview followed
    answer = client.post("/activites/longue-periode", data=dict(data, apercu=fingerprint))
    assert answer.status_code == 409
    assert "Le planning a changé depuis l'aperçu" in body(answer)
    assert "pas de réservation à annuler" in body(answer)
    assert db.session.scalar(select(func.count(Request.id))) == 0


# The staff's emergency form --------------------------------------------------------------

def emergency_form(client, family, action, who, what, day):
    """The emergency form as an agent fills it in: (where it goes, what it sends)."""
    url = f"/admin/familles/{family.id}/urgence"
    return url, {"csrf_token": csrf_from(page(client, url)), "action": action,
                 "child_id": child(who).id, "activity_id": activity(what).id,
                 "day": day.isoformat(), "reason": "Appel de la mère ce matin"}


def emergency(client, *args):
    url, data = emergency_form(client, *args)
    return client.post(url, data=data)


def test_two_agents_at_once_record_one_absence(app, planning, run_jobs):
    agent, admin = app.test_client(), app.test_client()
    login(agent, *planning.AGENT)
    login(admin, *planning.ADMIN)
    day = upcoming_day(activity("APS Soir"))
    claire = app.test_client()
    login(claire, *planning.PARENT)
    press(claire, shown_cell(claire, "Léa", "APS Soir", day))
    run_jobs()
    family = child("Léa").family
    url, by_agent = emergency_form(agent, family, "absence", "Léa", "APS Soir", day)
    _url, by_admin = emergency_form(admin, family, "absence", "Léa", "APS Soir", day)
    answers = at_once(lambda: agent.post(url, data=by_agent),
                      lambda: admin.post(url, data=by_admin))
    assert sorted(a.status_code for a in answers) == [302, 422]
    refused = body(next(a for a in answers if a.status_code == 422))
    assert "Rien à faire ce jour-là" in refused and "« Absence en attente »" in refused
    assert actions_asked() == ["reserve", "absence"]


def test_an_agent_reservation_on_a_reserved_day_does_nothing(agent_client, planning, run_jobs):
    claire = agent_client.application.test_client()
    login(claire, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    press(claire, shown_cell(claire, "Léa", "APS Soir", day))
    run_jobs()
    answer = emergency(agent_client, child("Léa").family, "reserve", "Léa", "APS Soir", day)
    assert answer.status_code == 422
    assert "la case est « Réservé »" in body(answer)
    assert actions_asked() == ["reserve"]
    assert state_of("Léa", "APS Soir", day) == "reserved"
