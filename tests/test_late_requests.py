"""Late requests (issue 13): per activity and action, a line past its deadline is refused,
accepted with a surcharge billed on the next invoice, or submitted to the staff, who
accept or refuse it from their queue. One rule (models/late.py) for the cell, the job,
the long-period preview, billing and the rules page."""
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Booking, Invoice, OutboundEmail, RequestLine
from models.billing import BillingSettings, issue_invoices
from models.db_tools import begin_write
from models.late import REFUSE, STAFF, SUBMITTED, SURCHARGE, late_rule, policy_for
from models.period import PeriodAsk, plan_period
from models.planning import Activity
from tests.billing_helpers import book, family, plain, words
from tests.helpers import (
    activity,
    body,
    booking_state,
    child,
    csrf_from,
    login,
    make_late,
    page,
    tap,
    text_of,
    today,
    upcoming_day,
)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
APS = "APS Soir"
WEDNESDAY = "Mercredi JOURNÉE"


def cell_html(client, who, what, day):
    return words(body(client.get(f"/activites/case?enfant={child(who).id}"
                                 f"&activite={activity(what).id}&jour={day.isoformat()}",
                                 headers=HTMX)))


def late_day(what, policy_reserve=None, policy_cancel=None, who="Léa"):
    """An upcoming day of the activity already past its deadline, with these policies."""
    an_activity = activity(what)
    day = upcoming_day(an_activity, days_ahead=1, a_child=child(who))
    make_late(an_activity, day)
    an_activity.cancel_deadline_kind = None  # cancelling follows the same, late, rule
    if policy_reserve:
        an_activity.late_reserve_policy = policy_reserve
    if policy_cancel:
        an_activity.late_cancel_policy = policy_cancel
    db.session.commit()
    return day


# -- The rule itself ----------------------------------------------------------------------

def _activity(**policies):
    return Activity(name="Test", start_time=time(16, 0), end_time=time(18, 0),
                    weekdays="12345", deadline_kind="days_before", deadline_days=2,
                    deadline_time=time(10, 0), deadline_working_days=False,
                    late_reserve_policy=policies.get("reserve", REFUSE),
                    late_cancel_policy=policies.get("cancel", REFUSE))


def test_the_policy_per_action_and_its_window():
    an_activity = _activity(reserve=SURCHARGE, cancel=STAFF)
    day = date(2027, 3, 10)  # a Wednesday: deadline Monday 8 10:00 Paris (09:00 UTC)
    in_time = datetime(2027, 3, 8, 8, 59)
    late = datetime(2027, 3, 9, 12, 0)
    assert late_rule(an_activity, day, "reserve", in_time) is None
    assert late_rule(an_activity, day, "reserve", late) == SURCHARGE
    assert late_rule(an_activity, day, "absence", late) == STAFF
    # Until the activity starts that day (16:00 Paris = 15:00 UTC in March), then refused.
    assert late_rule(an_activity, day, "reserve", datetime(2027, 3, 10, 14, 59)) == SURCHARGE
    assert late_rule(an_activity, day, "reserve", datetime(2027, 3, 10, 15, 0)) == REFUSE
    # Leaving a waiting list has no deadline; an unknown policy is today's rule.
    assert late_rule(an_activity, day, "leave", late) is None
    assert policy_for(_activity(reserve="bogus"), "reserve") == REFUSE
    assert late_rule(_activity(), day, "reserve", late) == REFUSE


def test_the_window_follows_summer_time():
    an_activity = _activity(reserve=STAFF)
    day = date(2027, 3, 29)  # the Monday after the change: 16:00 Paris is 14:00 UTC
    assert late_rule(an_activity, day, "reserve", datetime(2027, 3, 29, 13, 59)) == STAFF
    assert late_rule(an_activity, day, "reserve", datetime(2027, 3, 29, 14, 0)) == REFUSE


# -- The cell says it before the tap ------------------------------------------------------

def test_the_cell_says_what_a_late_tap_would_do(client, planning):
    login(client, *planning.PARENT)
    day = late_day(APS)
    assert "Non modifiable" in cell_html(client, "Léa", APS, day)
    assert "Réserver</button>" not in body(client.get(
        f"/activites/case?enfant={child('Léa').id}&activite={activity(APS).id}"
        f"&jour={day.isoformat()}", headers=HTMX))

    activity(APS).late_reserve_policy = SURCHARGE
    db.session.commit()
    cell = cell_html(client, "Léa", APS, day)
    assert "Hors délai : majoration de 50 %" in cell and "Réserver" in cell
    settings = BillingSettings.current()
    settings.late_pricing, settings.late_fixed_price = "fixed", Decimal("8.00")
    db.session.add(settings)
    db.session.commit()
    assert "Hors délai : prix fixe de 8,00 €" in cell_html(client, "Léa", APS, day)

    activity(APS).late_reserve_policy = STAFF
    db.session.commit()
    assert "Hors délai : sera soumis au service" in cell_html(client, "Léa", APS, day)
    # The week page says it in the cell itself, at every width (no group header needed).
    week = words(page(client, f"/activites?vue=semaine&date={day.isoformat()}"))
    assert "Hors délai : sera soumis au service" in week
    assert "Date limite dépassée le" in week

    book("Hugo", APS, day)
    activity(APS).late_cancel_policy = SURCHARGE
    db.session.commit()
    assert "Hors délai : le jour restera facturé" in cell_html(client, "Hugo", APS, day)


# -- Surcharge: the real worker, then the next invoice -----------------------------------

def test_a_late_reservation_with_surcharge_is_billed_surcharged(client, other_client, planning,
                                                                 run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = late_day(WEDNESDAY, policy_reserve=SURCHARGE)
    tap(client, "Léa", WEDNESDAY, day)
    run_jobs()
    assert booking_state("Léa", WEDNESDAY, day) == "reserved"
    line = db.session.scalar(select(RequestLine).where(RequestLine.day == day))
    assert (line.outcome, line.late_rule) == ("accepted", SURCHARGE)
    decision = plain(text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée")))
    assert "acceptée hors délai avec majoration de 50 %" in decision

    invoice = _invoice_for(day)
    line = next(li for li in invoice.lines if li.kind == "late_reserved")
    # MARTIN, Tranche B: 9,50 € a Wednesday, +50 % = 14,25 €.
    assert (line.quantity, line.unit_price, line.days) == (1, Decimal("14.25"), day.isoformat())
    login(other_client, *planning.PARENT)
    detail = plain(page(other_client, f"/facturation/{invoice.id}"))
    assert "Jours réservés hors délai (tarif majoré)" in detail and "14,25 €" in detail


def test_a_late_cancellation_accepted_stays_billed(client, planning, run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = late_day(WEDNESDAY, policy_cancel=SURCHARGE)
    book("Léa", WEDNESDAY, day)
    tap(client, "Léa", WEDNESDAY, day)
    run_jobs()
    assert booking_state("Léa", WEDNESDAY, day) == "absent"
    decision = plain(text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée")))
    assert "acceptée hors délai : le jour reste facturé" in decision
    line = next(li for li in _invoice_for(day).lines if li.kind == "late_cancelled")
    assert (line.quantity, line.unit_price) == (1, Decimal("9.50"))


def _invoice_for(day):
    """The invoice of the day's month for MARTIN, issued by the billing model now."""
    month = day.replace(day=1)
    db.session.execute(Invoice.__table__.delete().where(Invoice.month == month))
    db.session.commit()
    begin_write()
    issue_invoices([family("MARTIN").id], month, today())
    db.session.commit()
    return db.session.scalar(select(Invoice).where(Invoice.family_id == family("MARTIN").id,
                                                   Invoice.month == month))


# -- Staff: the queue, the decision, the email once ---------------------------------------

def _decide(client, line_id, decision, note=""):
    token = csrf_from(page(client, "/admin/hors-delai"))
    return client.post(f"/admin/hors-delai/{line_id}",
                       data={"csrf_token": token, "decision": decision, "note": note})


def _sent(address, subject):
    return db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.to_address == address, OutboundEmail.subject == subject))


def test_staff_accept_a_late_reservation_and_the_family_is_told_once(
        client, other_client, planning, run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = late_day(APS, policy_reserve=STAFF)
    tap(client, "Léa", APS, day)
    run_jobs()
    line = db.session.scalar(select(RequestLine).where(RequestLine.day == day))
    assert line.outcome == SUBMITTED and line.deadline_at is not None
    assert booking_state("Léa", APS, day) == "pending_reservation"
    cell = body(client.get(f"/activites/case?enfant={child('Léa').id}"
                           f"&activite={activity(APS).id}&jour={day.isoformat()}",
                           headers=HTMX))
    assert "en attente de la décision du service" in cell
    assert "hx-trigger" not in cell  # nothing to poll for: the staff decide
    decision = plain(text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée")))
    assert "soumise au service" in decision

    login(other_client, *planning.AGENT)
    dashboard = words(page(other_client, "/admin/"))
    assert "1 demande hors délai à examiner" in dashboard
    queue = words(page(other_client, "/admin/hors-delai"))
    assert "APS Soir" in queue and "Léa" in queue and "famille MARTIN" in queue
    assert "Demandé le" in queue

    response = _decide(other_client, line.id, "accept", "Accepté exceptionnellement.")
    assert response.status_code == 302
    assert _decide(other_client, line.id, "accept").status_code == 302  # sent twice
    assert "déjà été traitée" in page(other_client, "/admin/hors-delai")
    run_jobs()
    db.session.expire_all()
    assert booking_state("Léa", APS, day) == "reserved"
    line = db.session.get(RequestLine, line.id)
    assert (line.outcome, line.staff_note) == ("accepted", "Accepté exceptionnellement.")
    email = plain(text_of(mailbox.wait_for(planning.PARENT[0], "Demande hors délai acceptée")))
    assert "acceptée hors délai par le service (Accepté exceptionnellement.)" in email
    assert _sent(planning.PARENT[0], "Demande hors délai acceptée") == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "late.accepted"))
    assert event is not None and event.family_id == family("MARTIN").id
    assert "1 demande hors délai" not in words(page(other_client, "/admin/"))
    assert "Aucune demande hors délai à examiner." in page(other_client, "/admin/hors-delai")


def test_staff_refuse_a_late_absence_and_the_cell_stays_reserved(
        client, other_client, planning, run_jobs, mailbox):
    login(client, *planning.PARENT)
    day = late_day(APS, policy_cancel=STAFF, who="Hugo")
    book("Hugo", APS, day)
    tap(client, "Hugo", APS, day)
    run_jobs()
    line = db.session.scalar(select(RequestLine).where(RequestLine.day == day))
    assert line.outcome == SUBMITTED
    login(other_client, *planning.AGENT)
    _decide(other_client, line.id, "refuse")
    run_jobs()
    db.session.expire_all()
    assert booking_state("Hugo", APS, day) == "reserved"
    email = plain(text_of(mailbox.wait_for(planning.PARENT[0], "Demande hors délai refusée")))
    assert "refusée par le service" in email and "hors délai" in email
    assert _sent(planning.PARENT[0], "Demande hors délai refusée") == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "late.refused"))


def test_a_parent_cannot_reach_the_queue(client, planning):
    login(client, *planning.PARENT)
    assert client.get("/admin/hors-delai").status_code in (302, 403, 404)


# -- The long-period preview --------------------------------------------------------------

def test_the_preview_says_surcharged_submitted_and_waiting_listed_days(app, planning):
    aps = activity(APS)
    lea = child("Léa")
    day = upcoming_day(aps, days_ahead=1, a_child=lea)
    later = upcoming_day(aps, days_ahead=(day - today()).days + 1, a_child=lea)
    make_late(aps, day)  # `day` is late, `later` may be too: only `day` is asserted on
    aps.late_reserve_policy = SURCHARGE
    db.session.commit()
    ask = PeriodAsk(action="reserve", children=[lea], activities=[aps], first_day=day,
                    last_day=day, weekdays={day.isoweekday()})
    group = plan_period(ask, "B")[0]
    assert (group.surcharged, group.late, group.submitted) == ([day], [], [])

    aps.late_reserve_policy = STAFF
    db.session.commit()
    group = plan_period(ask, "B")[0]
    assert (group.submitted, group.surcharged) == ([day], [])

    # A full day with a waiting list: the reservation would go in line.
    aps.late_reserve_policy, aps.deadline_days = REFUSE, 0
    aps.capacity, aps.waiting_list = 1, True
    db.session.commit()
    book("Hugo", APS, later)
    ask = PeriodAsk(action="reserve", children=[lea], activities=[aps], first_day=later,
                    last_day=later, weekdays={later.isoweekday()})
    group = plan_period(ask, "B")[0]
    assert group.waitlisted == [later]


def test_the_preview_page_says_it_in_words(client, planning):
    login(client, *planning.PARENT)
    aps = activity(APS)
    day = late_day(APS, policy_reserve=STAFF)
    token = csrf_from(page(client, "/activites/longue-periode"))
    response = client.post("/activites/longue-periode/apercu", data={
        "csrf_token": token, "action": "reserve", "children": [str(child("Léa").id)],
        "activities": [str(aps.id)], "first_day": day.isoformat(),
        "last_day": day.isoformat(), "weekdays": [str(day.isoweekday())],
        "client_token": "a" * 32}, headers=HTMX)
    assert "1 hors délai sera soumis au service, qui décidera" in words(body(response))


# -- The rules page -----------------------------------------------------------------------

@pytest.mark.parametrize("reserve,cancel,said", [
    (SURCHARGE, REFUSE, "Une réservation hors délai est acceptée jusqu'au début de "
                        "l'activité, facturée avec majoration de 50 %."),
    (STAFF, SURCHARGE, "Une réservation hors délai est soumise au service"),
    (REFUSE, SURCHARGE, "Une annulation hors délai est acceptée jusqu'au début de "
                        "l'activité, mais le jour reste facturé comme réservé."),
])
def test_the_rules_page_says_the_late_policy(client, demo, reserve, cancel, said):
    aps = activity(APS)
    aps.late_reserve_policy, aps.late_cancel_policy = reserve, cancel
    db.session.commit()
    assert said in words(page(client, "/reglement-interieur"))


def test_the_admin_form_sets_both_policies(client, demo):
    login(client, *demo.ADMIN)
    aps = activity(APS)
    form = page(client, f"/admin/activites/{aps.id}")
    assert "Réservation hors délai" in form and "Annulation hors délai" in form
    assert 'value="staff"' in form and 'value="surcharge"' in form


def test_the_demo_shows_each_late_policy(demo):
    policies = {a.late_reserve_policy for a in db.session.scalars(select(Activity))}
    assert {REFUSE, SURCHARGE, STAFF} <= policies
    assert db.session.scalar(select(func.count(Booking.id))) is not None


def test_the_decision_email_says_the_waiting_rank(client, planning, run_jobs, mailbox):
    aps = activity(APS)
    aps.capacity, aps.waiting_list = 1, True
    aps.deadline_days, aps.deadline_working_days = 0, False
    db.session.commit()
    day = upcoming_day(aps, days_ahead=3)
    book("Léa", APS, day)
    login(client, *planning.PARENT)
    tap(client, "Hugo", APS, day)
    run_jobs()
    decision = plain(text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée")))
    assert "complet : en liste d'attente, rang 1" in decision


def test_admins_set_the_late_surcharge_in_the_billing_rules(client, demo):
    login(client, *demo.ADMIN)
    token = csrf_from(page(client, "/admin/facturation/regles"))
    response = client.post("/admin/facturation/regles", data={
        "csrf_token": token, "bill_reserved_present": "y", "unreserved_surcharge_percent": "20",
        "late_pricing": "surcharge", "late_surcharge_percent": "30", "default_bracket_id": "0",
        "due_days": "30", "first_reminder_days": "10", "second_reminder_days": "30"})
    assert response.status_code == 302
    activity(APS).late_reserve_policy = SURCHARGE
    db.session.commit()
    assert "facturée avec majoration de 30 %" in words(page(client, "/reglement-interieur"))
    response = client.post("/admin/facturation/regles", data={
        "csrf_token": token, "unreserved_surcharge_percent": "20", "late_pricing": "fixed",
        "default_bracket_id": "0", "due_days": "30", "first_reminder_days": "10",
        "second_reminder_days": "30"})
    assert response.status_code == 422
    assert "Indiquez le prix fixe d'une réservation hors délai." in body(response)
