"""Reconciliation of a day's roll call with its reservations, and the pricing of a
presence without reservation at invoicing."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Attendance, BillingSettings, Booking
from models.billing import issue_invoices
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, mark
from tests.helpers import activity, body, child, csrf_from, login, page, submit, today

CANTEEN = "Restauration scolaire"
EVENING = "APS Soir"


@pytest.fixture
def day_to_reconcile(demo, client):
    """A past canteen day: Léa reserved and never marked, Hugo reserved and present;
    on the same evening, Léa at the APS without a reservation."""
    day = days_of(CANTEEN, 1)[0]
    evening = days_of(EVENING, 1)[0]
    book("Léa", CANTEEN, day)
    book("Hugo", CANTEEN, day)
    mark("Hugo", CANTEEN, day, "present")
    mark("Léa", EVENING, evening, "present", unreserved=True)
    login(client, *demo.AGENT)
    return day, evening


def url(day, what):
    return f"/admin/rapprochement?jour={day.isoformat()}&activite={activity(what).id}"


def section(html, section_id):
    part = html[html.index(f'id="{section_id}"'):]
    return part[:part.index("</section>")]


def settle(client, day, what, who, action):
    return submit(client, url(day, what), {
        "enfant": child(who).id, "activite": activity(what).id, "jour": day.isoformat(),
        "action": action}, post_url="/admin/rapprochement")


def test_reserved_not_marked_and_present_not_reserved_are_listed(client, day_to_reconcile):
    day, evening = day_to_reconcile
    html = page(client, url(day, CANTEEN))
    unmarked = section(html, "reserved-not-marked")
    assert "Léa MARTIN" in unmarked and "Hugo MARTIN" not in unmarked
    assert "Réservés, non pointés (1)" in unmarked
    assert "Léa MARTIN" in section(page(client, url(evening, EVENING)), "present-not-reserved")


@pytest.mark.parametrize("action, stored", [
    ("present", ("present", None)), ("excuse", ("absent", "excused")),
    ("bill", ("absent", "unexcused"))])
def test_one_action_settles_a_reserved_child_not_marked(client, day_to_reconcile, action,
                                                         stored):
    day, _evening = day_to_reconcile
    response = settle(client, day, CANTEEN, "Léa", action)
    assert response.status_code == 302
    html = page(client, response.headers["Location"])
    assert "Léa MARTIN : c&#39;est enregistré." in html or "Léa MARTIN : c'est enregistré." in html
    assert "Léa MARTIN" not in section(html, "reserved-not-marked")
    lea = Attendance.for_day(activity(CANTEEN).id, day)[child("Léa").id]
    assert (lea.status, lea.absence_reason) == stored


def test_a_child_settled_meanwhile_is_said_so(client, day_to_reconcile):
    day, _evening = day_to_reconcile
    settle(client, day, CANTEEN, "Léa", "present")
    response = settle(client, day, CANTEEN, "Léa", "bill")  # a second agent, stale page
    assert "a déjà été traité entre-temps" in page(client, response.headers["Location"])
    assert Attendance.for_day(activity(CANTEEN).id, day)[child("Léa").id].status == "present"


def test_a_presence_without_reservation_billed_as_penalty_or_forgiven(client,
                                                                      day_to_reconcile):
    _day, evening = day_to_reconcile
    settle(client, evening, EVENING, "Léa", "penalty")
    html = page(client, url(evening, EVENING))
    assert "Léa MARTIN" not in section(html, "present-not-reserved").split("Déjà confirmés")[0]
    assert "Déjà confirmés en pénalité : Léa MARTIN" in html
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    lines = {(line.activity_name, line.kind): line.unit_price
             for line in invoice_of("MARTIN").lines}
    assert lines[(EVENING, "unreserved")] == Decimal("2.16")  # 1.80 € + 20 %


def test_a_forgotten_reservation_is_billed_at_the_usual_price(client, day_to_reconcile):
    _day, evening = day_to_reconcile
    settle(client, evening, EVENING, "Léa", "forgotten")
    assert db.session.scalar(select(Booking.state).where(
        Booking.child_id == child("Léa").id, Booking.day == evening,
        Booking.activity_id == activity(EVENING).id)) == "reserved"
    assert "Léa MARTIN" not in section(page(client, url(evening, EVENING)),
                                       "present-not-reserved")
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    lines = {(line.activity_name, line.kind): line.unit_price
             for line in invoice_of("MARTIN").lines}
    assert lines[(EVENING, "reserved")] == Decimal("1.80")
    assert (EVENING, "unreserved") not in lines


def test_a_day_to_come_is_not_reconciled(client, day_to_reconcile):
    from tests.helpers import upcoming_day

    day = upcoming_day(activity(CANTEEN), days_ahead=3)
    html = page(client, url(day, CANTEEN))
    assert "pas encore passé" in html and 'id="reserved-not-marked"' not in html
    response = settle(client, day, CANTEEN, "Léa", "present")
    assert "pas encore passé" in page(client, response.headers["Location"])
    assert Attendance.for_day(activity(CANTEEN).id, day) == {}


def rules(client, demo, **changes):
    login(client, *demo.ADMIN)
    data = {"bill_reserved_present": "y", "bill_unmarked_reserved": "y",
            "bill_absent_unexcused": "y", "bill_absent_ill": "y", "bill_unreserved": "y",
            "unreserved_surcharge_percent": "20", "default_bracket_id": "0", "due_days": "30",
            "first_reminder_days": "10", "second_reminder_days": "30",
            "payment_instructions": "", "creditor_name": "", "creditor_iban": "",
            "creditor_bic": "", "creditor_identifier": ""}  # what a browser sends
    return submit(client, "/admin/facturation/regles", dict(data, **changes))


@pytest.mark.parametrize("changes, price", [
    ({"unreserved_pricing": "fixed", "unreserved_fixed_price": "5,00"}, Decimal("5.00")),
    ({"unreserved_pricing": "full"}, Decimal("1.80")),
    ({"unreserved_pricing": "surcharge", "unreserved_surcharge_percent": "50"},
     Decimal("2.70")),
])
def test_presence_without_reservation_pricing_applies_at_invoicing(client, demo, changes,
                                                                   price):
    assert rules(client, demo, **changes).status_code == 302
    mark("Léa", EVENING, days_of(EVENING, 1)[0], "present", unreserved=True)
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    [line] = [line for line in invoice_of("MARTIN").lines if line.kind == "unreserved"]
    assert (line.quantity, line.unit_price) == (1, price)


def test_the_billing_page_says_how_it_is_priced(client, demo):
    rules(client, demo, unreserved_pricing="fixed", unreserved_fixed_price="5")
    assert "Présence sans réservation : facturée au prix fixe de 5,00" in page(
        client, "/admin/facturation").replace("\u202f", " ").replace("\xa0", " ")
    submit(client, "/admin/facturation/regles", {
        "bill_unreserved": "y", "unreserved_pricing": "full", "unreserved_surcharge_percent": "20",
        "default_bracket_id": "0", "due_days": "30", "first_reminder_days": "10",
        "second_reminder_days": "30", "payment_instructions": "", "creditor_name": "",
        "creditor_iban": "", "creditor_bic": "", "creditor_identifier": ""})
    assert "Présence sans réservation : facturée au tarif habituel" in page(
        client, "/admin/facturation")


def test_a_fixed_price_must_be_given(client, demo):
    response = rules(client, demo, unreserved_pricing="fixed", unreserved_fixed_price="")
    assert response.status_code == 422
    assert "Indiquez le prix fixe d&#39;une présence sans réservation." in body(response) or \
        "Indiquez le prix fixe d'une présence sans réservation." in body(response)
    assert BillingSettings.current().unreserved_pricing == "surcharge"
    html = page(client, "/admin/facturation/regles")
    assert 'name="unreserved_pricing"' in html and csrf_from(html)
