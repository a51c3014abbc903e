"""The evening-before reminder of a deadline (opt-in on Mon compte): the usual days of
a child (booked in most of the last weeks) not booked for the period whose deadline is
tomorrow, in one email per guardian, once however often the sweep runs. Dates are asked
of the calendar and the activity's own rule, so it holds on any day of the year."""
from datetime import datetime, time, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from blueprints.common.dates import day_in_words, moment_in_words
from extensions import db
from jobs.notifications import send_deadline_reminders
from models import Booking, DeadlineReminder, OutboundEmail, Town
from models.clock import paris_to_utc
from models.deadlines import DAYS_BEFORE
from models.planning import RESERVED, PlanningCalendar
from models.usual_days import missing_days
from tests.helpers import activity, child, csrf_from, page, text_of, today, upcoming_day
from tests.test_push import Device, PushService, subscribe

CANTEEN = "Restauration scolaire"


def evening(hour=18, minute=30):
    return paris_to_utc(datetime.combine(today(), time(hour, minute)))


def previous_runs(an_activity, day, count):
    """The last `count` days before today on the weekday of `day` the activity ran."""
    calendar = PlanningCalendar(Town.current().holiday_zone, today() - timedelta(weeks=30),
                                today())
    back = (today().isoweekday() - day.isoweekday()) % 7 or 7
    current, found = today() - timedelta(days=back), []
    while len(found) < count:
        if calendar.runs(an_activity, current):
            found.append(current)
        current -= timedelta(weeks=1)
    return found


@pytest.fixture
def usual(planning):
    """Léa eats at the canteen on one weekday every week; the canteen's deadline for the
    next such day (`target`) is tomorrow at 10:00, and that day is not booked."""
    canteen = activity(CANTEEN)
    target = upcoming_day(canteen, 8, child("Léa"))
    canteen.deadline_kind = DAYS_BEFORE
    canteen.deadline_days = (target - today()).days - 1
    canteen.deadline_working_days = False
    canteen.deadline_time = time(10, 0)
    db.session.execute(db.delete(Booking).where(Booking.activity_id == canteen.id))
    for day in previous_runs(canteen, target, 4):
        db.session.add(Booking(child_id=child("Léa").id, activity_id=canteen.id, day=day,
                               state=RESERVED))
    # Hugo came once: not a usual day.
    db.session.add(Booking(child_id=child("Hugo").id, activity_id=canteen.id,
                           day=previous_runs(canteen, target, 1)[0], state=RESERVED))
    db.session.commit()
    planning.target = target
    return planning


def opt_in(client, wanted=True):
    html = page(client, "/compte")
    assert "Rappel des dates limites" in html
    data = {"csrf_token": csrf_from(html)}
    if wanted:
        data["rappels"] = "oui"
    response = client.post("/compte/rappels", data=data)
    assert response.status_code == 302


def reminder_emails():
    return db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "deadline_reminder"))


def test_the_evening_before_one_email_lists_the_missing_usual_days(
        parent_client, usual, run_jobs, mailbox):
    opt_in(parent_client)
    assert 'name="rappels" value="oui" checked' in page(parent_client, "/compte")
    assert send_deadline_reminders(evening(17, 59)) == 0  # not before 18:00
    assert send_deadline_reminders(evening()) == 1
    assert send_deadline_reminders(evening(19, 0)) == 0  # the sweep runs every minute
    run_jobs()
    email = mailbox.wait_for(usual.PARENT[0], "Rappel : des jours habituels")
    text = text_of(email).replace("\r\n", "\n")
    assert "Léa MARTIN — Restauration scolaire" in text
    with force_locale("fr"):
        assert f"  - {day_in_words(usual.target)}\n" in text
        deadline = activity(CANTEEN).deadline_for(usual.target)
        assert f"À réserver avant le {moment_in_words(deadline)}." in text
    assert "Hugo" not in text
    assert "Mon compte, http://localhost/compte#rappels" in text
    assert reminder_emails() == 1
    assert len(mailbox.to(usual.PARENT[0])) == 1


def test_nothing_when_the_usual_day_is_booked_or_nobody_asked(parent_client, usual):
    assert send_deadline_reminders(evening()) == 0  # not opted in: nothing, no check
    assert db.session.scalar(select(func.count(DeadlineReminder.id))) == 0
    opt_in(parent_client)
    db.session.add(Booking(child_id=child("Léa").id, activity_id=activity(CANTEEN).id,
                           day=usual.target, state=RESERVED))
    db.session.commit()
    assert send_deadline_reminders(evening()) == 0
    assert reminder_emails() == 0
    # Checked once for tomorrow: the next sweeps do not look again.
    assert db.session.scalar(select(func.count(DeadlineReminder.id))) == 1


def test_opting_out(parent_client, usual):
    opt_in(parent_client)
    opt_in(parent_client, wanted=False)
    assert 'value="oui" checked' not in page(parent_client, "/compte")
    assert send_deadline_reminders(evening()) == 0


def test_usual_means_most_of_the_last_weeks(usual):
    canteen = activity(CANTEEN)
    lea = child("Léa")
    found = missing_days([lea.family], today(), Town.current().holiday_zone)
    [item] = found[lea.family_id]
    assert (item.child.first_name, item.days) == ("Léa", [usual.target])
    assert item.deadline == canteen.deadline_for(usual.target)
    # Two of the four weeks left: no longer « most ».
    for day in previous_runs(canteen, usual.target, 4)[:2]:
        db.session.execute(db.delete(Booking).where(Booking.child_id == lea.id,
                                                    Booking.day == day))
    db.session.commit()
    assert missing_days([lea.family], today(), Town.current().holiday_zone) == {}


def test_the_reminder_also_reaches_a_subscribed_device(parent_client, usual, run_jobs, mailbox):
    service = PushService()
    try:
        device = Device(f"{service.url}/push/phone")
        subscribe(parent_client, device)
        opt_in(parent_client)
        assert send_deadline_reminders(evening()) == 1
        run_jobs()
        mailbox.wait_for(usual.PARENT[0], "Rappel : des jours habituels")  # email still goes
        [(_path, _headers, body)] = service.received
        message = device.decrypt(body)
        assert message["title"] == "Rappel : des jours habituels ne sont pas encore réservés"
        assert message["url"] == "http://localhost/activites"
    finally:
        service.stop()
