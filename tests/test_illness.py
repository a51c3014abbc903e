"""Illness declared by the parent (models/illness.py): the rules (the day itself until a
time, the certificate's delay, the jours de carence), the form on the planning, the
certificate sent through the documents and reviewed by the staff, and billing through
the real worker: with and without a certificate, and a certificate accepted after the
invoice ending in a credit note."""
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Attendance, BillingSettings, Booking, Document, IllnessDeclaration, User
from models.clock import paris_to_utc
from models.corrections import pending_corrections
from models.illness import (
    ENDS_BEFORE,
    NOTHING_RESERVED,
    PAST_DAY,
    TOO_LATE_TODAY,
    TOO_LONG,
    IllnessRefused,
    carence_days,
    certificate_due_on,
    check_range,
    declare,
)
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, words
from tests.helpers import (
    activity,
    booking_state,
    child,
    csrf_from,
    login,
    other_family_parent,
    page,
    text_of,
    today,
    upcoming_day,
)
from tests.samples import pdf_bytes, upload

CANTEEN = "Restauration scolaire"
REGISSEUR = ("regie@example.org", "portail-regie-2026")


def past_cancel_deadline(an_activity, day):
    """The activity's cancelling deadline for `day` is already past (counted from today,
    in calendar days, so it holds on any date)."""
    an_activity.cancel_deadline_kind = "days_before"
    an_activity.cancel_deadline_days = (day - today()).days + 1
    an_activity.cancel_deadline_working_days = False
    db.session.commit()


def reserved(who, what, day, state="reserved"):
    """The cell in `state`, whether the demo booked it already or not."""
    cell = db.session.scalar(select(Booking).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day))
    if cell is None:
        return book(who, what, day, state)
    cell.state = state
    db.session.commit()
    return cell


def paris(day, hour, minute=0):
    """A Paris wall-clock moment as naive UTC (what the portal stores)."""
    return paris_to_utc(datetime.combine(day, time(hour, minute)))


def rules():
    return BillingSettings.current()


# -- Unit: the rules ------------------------------------------------------------------------

def test_carence_days_are_the_first_days_the_child_was_expected():
    days = [MONTH + timedelta(days=n) for n in (5, 1, 2, 1)]
    assert carence_days(days, 1) == {MONTH + timedelta(days=1)}
    assert carence_days(days, 2) == {MONTH + timedelta(days=1), MONTH + timedelta(days=2)}
    assert carence_days(days, 0) == set()
    assert carence_days(days, 9) == set(days)


def test_the_certificate_is_due_n_days_after_the_declaration(demo):
    settings = rules()
    settings.illness_certificate_days = 3
    assert certificate_due_on(MONTH, settings) == MONTH + timedelta(days=3)
    settings.illness_certificate_days = 0
    assert certificate_due_on(MONTH, settings) == MONTH
    # across a year end
    settings.illness_certificate_days = 3
    assert certificate_due_on(datetime(2026, 12, 30).date(), settings) == \
        datetime(2027, 1, 2).date()


@pytest.mark.parametrize("day", ["2026-12-18", "2027-03-28", "2027-03-29", "2027-10-31"])
def test_the_day_itself_until_the_time_set(demo, day):
    """09:00 Paris, on a winter day, on the DST Sunday and the day after, on the return."""
    day = datetime.fromisoformat(day).date()
    settings = rules()
    check_range(day, day, paris(day, 8, 59), settings)
    check_range(day, day, paris(day, 9, 0), settings)
    with pytest.raises(IllnessRefused) as refused:
        check_range(day, day, paris(day, 9, 1), settings)
    assert refused.value.reason == TOO_LATE_TODAY
    # the following days can still be declared after the time
    check_range(day + timedelta(days=1), day + timedelta(days=3), paris(day, 18), settings)
    settings.illness_declaration_until = time(11, 30)
    check_range(day, day, paris(day, 11, 15), settings)


@pytest.mark.parametrize("first,last,reason", [
    (-1, 0, PAST_DAY), (2, 1, ENDS_BEFORE), (0, 31, TOO_LONG)])
def test_days_that_cannot_be_declared(demo, first, last, reason):
    day = datetime(2027, 1, 11).date()
    with pytest.raises(IllnessRefused) as refused:
        check_range(day + timedelta(days=first), day + timedelta(days=last), paris(day, 7),
                    rules())
    assert refused.value.reason == reason
    check_range(day, day + timedelta(days=30), paris(day, 7), rules())


# -- Billing through the real worker -----------------------------------------------------

def declared_in_march(demo, count=4):
    """Léa reserved on `count` canteen days of March 2026, declared ill on the first at
    07:00 for all of them: the first ones are past their deadline, the later ones not."""
    days = days_of(CANTEEN, count)
    for day in days:
        book("Léa", CANTEEN, day)
    parent = User.by_email(demo.PARENT[0])
    declared = declare(child("Léa"), days[0], days[-1], parent, rules(), now=paris(days[0], 7))
    db.session.commit()
    late = sorted(c.day for c in declared.late)
    assert late and late[0] == days[0] and len(late) < count  # a later day was in time
    return declared.declaration, days, late


def in_time(declaration):
    """The declaration was made in March 2026: its certificate is due today instead."""
    db.session.execute(db.update(IllnessDeclaration).where(
        IllnessDeclaration.id == declaration.id).values(certificate_due_on=today()))
    db.session.commit()


def invoice_march(app, run_jobs):
    """The régisseur invoices March 2026 from the staff page; the real worker issues it."""
    client = app.test_client()
    response = login(client, *REGISSEUR)
    assert response.status_code == 302, words(response.get_data(as_text=True))[:2000]
    html = page(client, "/admin/facturation")
    response = client.post("/admin/facturation", data={"csrf_token": csrf_from(html),
                                                       "month": "2026-03"})
    assert response.status_code == 302
    run_jobs()
    return invoice_of("MARTIN")


def lines(invoice):
    return [(line.kind, line.quantity, line.amount) for line in invoice.lines
            if line.child_name == "Léa MARTIN" and line.activity_name == CANTEEN]


def send_certificate(client, declaration):
    html = page(client, "/documents")
    assert "Certificats médicaux attendus" in html
    return client.post(f"/documents/maladie/{declaration.id}/certificat",
                       data={"csrf_token": csrf_from(html),
                             "file": upload(pdf_bytes(), "certificat.pdf")},
                       content_type="multipart/form-data")


def review(client, declaration, accept=True):
    db.session.expire_all()
    document_id = db.session.get(IllnessDeclaration, declaration.id).document_id
    html = page(client, f"/admin/documents/{document_id}")
    assert "déclarée par la famille : accepté, ce certificat justifie ces jours" in words(html)
    data = {"csrf_token": csrf_from(html)}
    data.update({"accept": "Accepter"} if accept else {"reject": "Refuser",
                                                        "reason": "Illisible"})
    assert client.post(f"/admin/documents/{document_id}", data=data).status_code == 302


def test_without_a_certificate_the_days_are_unexcused(app, client, demo, run_jobs):
    _declaration, days, late = declared_in_march(demo)
    # 2,35 € a day (Tranche B): only the late days, as unexcused absences
    assert lines(invoice_march(app, run_jobs)) == [
        ("absent_unexcused", len(late), Decimal("2.35") * len(late))]
    login(client, *demo.PARENT)
    shown = words(page(client, f"/facturation/{invoice_of('MARTIN').id}"))
    assert "Absences non justifiées" in shown


def test_a_certificate_accepted_waives_all_but_the_carence_day(
        app, client, other_client, demo, run_jobs, mailbox):
    declaration, days, late = declared_in_march(demo)
    login(other_client, *demo.PARENT)
    # the parent sends it within the delay (the declaration's clock: March 2026)
    in_time(declaration)
    assert send_certificate(other_client, declaration).status_code == 302
    login(client, *demo.AGENT)
    assert "Certificat médical" in page(client, "/admin/documents")
    review(client, declaration)
    run_jobs()
    email = mailbox.wait_for(demo.PARENT[0], "Votre document a été examiné")
    assert "jour de carence" in text_of(email) and "est justifiée" in text_of(email)
    marks = db.session.scalars(select(Attendance).where(
        Attendance.child_id == child("Léa").id).execution_options(populate_existing=True)).all()
    assert {m.day for m in marks} == set(late) and all(m.certificate for m in marks)
    invoice = invoice_march(app, run_jobs)
    # the following days, certified, are not billed
    assert lines(invoice) == [("absent_ill_carence", 1, Decimal("2.35"))]
    shown = words(page(other_client, f"/facturation/{invoice.id}"))
    assert "Jours de carence (maladie avec certificat médical)" in shown


def test_a_certificate_accepted_after_the_invoice_ends_in_a_credit_note(
        app, client, other_client, demo, run_jobs):
    declaration, days, late = declared_in_march(demo, count=5)
    invoice = invoice_march(app, run_jobs)
    assert lines(invoice) == [("absent_unexcused", len(late), Decimal("2.35") * len(late))]
    in_time(declaration)
    login(other_client, *demo.PARENT)
    assert send_certificate(other_client, declaration).status_code == 302
    login(client, *demo.AGENT)
    review(client, declaration)
    client = app.test_client()
    login(client, *REGISSEUR)
    [correction] = pending_corrections(MONTH)
    # the carence day stays as billed (same price): no credit and new invoice for it
    assert [(c.kind, c.quantity, c.reason) for c in correction.credits] == [
        ("absent_unexcused", len(late) - 1, "certificate")]
    assert correction.extras == []
    html = page(client, "/admin/facturation/regularisations?mois=2026-03")
    response = client.post("/admin/facturation/regularisations",
                           data={"csrf_token": csrf_from(html), "month": "2026-03"})
    assert response.status_code == 302
    run_jobs()
    invoice = invoice_of("MARTIN")
    assert invoice.credited == Decimal("2.35") * (len(late) - 1)
    assert pending_corrections(MONTH) == []


def test_a_refused_certificate_leaves_the_days_unexcused(app, client, other_client, demo,
                                                         run_jobs, mailbox):
    declaration, days, late = declared_in_march(demo)
    in_time(declaration)
    login(other_client, *demo.PARENT)
    assert send_certificate(other_client, declaration).status_code == 302
    login(client, *demo.AGENT)
    review(client, declaration, accept=False)
    run_jobs()
    text = text_of(mailbox.wait_for(demo.PARENT[0], "Votre document a été examiné"))
    assert "Envoyez un autre certificat médical avant le" in text
    # it waits again for a certificate, on the staff's list
    assert "Léa MARTIN" in words(page(client, "/admin/maladies"))
    assert lines(invoice_march(app, run_jobs)) == [
        ("absent_unexcused", len(late), Decimal("2.35") * len(late))]


# -- The form on the planning ---------------------------------------------------------------

def test_a_parent_declares_an_illness_from_the_planning(parent_client, other_client, demo,
                                                        mailbox, run_jobs):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, 1, child("Léa"))
    reserved("Léa", CANTEEN, day)
    # the cell is past its deadline: it links to the form
    past_cancel_deadline(canteen, day)
    planning = page(parent_client, f"/activites?vue=semaine&date={day.isoformat()}")
    assert "Malade ? Déclarer l'absence" in planning
    [link] = {href.replace("&amp;", "&") for href in re.findall(
        r'href="(/activites/maladie\?[^"]+)"', planning)
        if f"jour={day.isoformat()}" in href and f"enfant={child('Léa').id}" in href}
    html = page(parent_client, link)
    assert "Déclarer une absence pour maladie" in html
    assert "jour de carence" in words(html)
    response = parent_client.post("/activites/maladie", data={
        "csrf_token": csrf_from(html), "child": child("Léa").id,
        "first_day": day.isoformat(), "last_day": day.isoformat()})
    assert response.status_code == 302, words(response.get_data(as_text=True))[:3000]
    assert booking_state("Léa", CANTEEN, day) == "absent"
    mark = db.session.scalar(select(Attendance).where(Attendance.day == day))
    assert (mark.status, mark.absence_reason, mark.certificate) == ("absent", "ill", False)
    shown = words(page(parent_client, "/activites/maladie"))
    assert "Certificat médical attendu" in shown and "Envoyez un certificat médical avant le" \
        in shown
    run_jobs()
    text = text_of(mailbox.wait_for(demo.PARENT[0], "Absence pour maladie enregistrée"))
    assert "Envoyez un certificat médical avant le" in text
    # the staff see it waiting, with the days left, and on the dashboard
    login(other_client, *demo.AGENT)
    listed = words(page(other_client, "/admin/maladies"))
    assert "Léa MARTIN" in listed and "4 jours" in listed  # 3 days after, today included
    assert "maladie déclarée sans certificat" in words(page(other_client, "/admin/"))
    # the roll call of that day shows Léa absent, ill
    roll = words(page(other_client, f"/admin/pointage?jour={day.isoformat()}"
                                    f"&activite={canteen.id}"))
    assert "Léa MARTIN" in roll and "malade, déclaré par la famille" in roll


def test_a_freed_place_goes_to_the_waiting_list(parent_client, demo):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, 1, child("Léa"))
    reserved("Léa", CANTEEN, day)
    waiting = reserved("Jules", CANTEEN, day, state="waiting")
    waiting.waiting_position = 1
    canteen.capacity = db.session.scalar(select(db.func.count(Booking.id)).where(
        Booking.activity_id == canteen.id, Booking.day == day,
        Booking.state == "reserved"))
    canteen.waiting_list = True
    db.session.commit()
    declare(child("Léa"), day, day, User.by_email(demo.PARENT[0]), rules(),
            now=paris(today(), 7))
    db.session.commit()
    assert booking_state("Jules", CANTEEN, day) == "reserved"


@pytest.mark.parametrize("first,last,message", [
    (-2, -2, "On ne déclare pas une maladie pour un jour passé"),
    (3, 1, "La date de fin est avant la date de début."),
    (0, 40, "Une déclaration couvre 31 jours au plus"),
    ("x", 1, "Saisissez une date valide."),
])
def test_bad_input_is_answered_in_french(parent_client, demo, first, last, message):
    html = page(parent_client, "/activites/maladie")
    day = today() + timedelta(days=1)
    start = "pas une date" if first == "x" else (day + timedelta(days=first)).isoformat()
    response = parent_client.post("/activites/maladie", data={
        "csrf_token": csrf_from(html), "child": child("Léa").id, "first_day": start,
        "last_day": (day + timedelta(days=last)).isoformat()})
    assert response.status_code == 422
    assert message in words(response.get_data(as_text=True))


def test_nothing_reserved_and_no_child(parent_client, demo):
    html = page(parent_client, "/activites/maladie")
    day = today() + timedelta(days=1)
    data = {"csrf_token": csrf_from(html), "first_day": day.isoformat(),
            "last_day": day.isoformat()}
    response = parent_client.post("/activites/maladie", data=data)
    assert response.status_code == 422
    assert "Choisissez l'enfant malade." in words(response.get_data(as_text=True))
    db.session.execute(db.delete(Booking).where(Booking.child_id == child("Léa").id))
    db.session.commit()
    response = parent_client.post("/activites/maladie", data=dict(data, child=child("Léa").id))
    assert response.status_code == 422
    assert "Aucune réservation de cet enfant sur ces jours" in words(
        response.get_data(as_text=True))
    assert NOTHING_RESERVED


def test_another_familys_child_and_declaration(client, demo):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, 1, child("Léa"))
    reserved("Léa", CANTEEN, day)
    parent = User.by_email(demo.PARENT[0])
    declaration = declare(child("Léa"), day, day, parent, rules(),
                          now=paris(today(), 7)).declaration
    db.session.commit()
    other_family_parent(client)
    html = page(client, "/activites/maladie")
    response = client.post("/activites/maladie", data={
        "csrf_token": csrf_from(html), "child": child("Léa").id,
        "first_day": day.isoformat(), "last_day": day.isoformat()})
    assert response.status_code == 422
    assert "Cet enfant ne fait pas partie de votre dossier famille." in words(
        response.get_data(as_text=True))
    html = page(client, "/documents")
    response = client.post(f"/documents/maladie/{declaration.id}/certificat",
                           data={"csrf_token": csrf_from(html),
                                 "file": upload(pdf_bytes(), "certificat.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert client.post("/documents/maladie/999999/certificat",
                       data={"csrf_token": csrf_from(html)}).status_code == 404
    assert family("MARTIN") is not None


def test_a_wrong_certificate_file_is_refused_in_french(parent_client, demo):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, 1, child("Léa"))
    reserved("Léa", CANTEEN, day)
    past_cancel_deadline(canteen, day)
    parent = User.by_email(demo.PARENT[0])
    declaration = declare(child("Léa"), day, day, parent, rules(),
                          now=paris(today(), 7)).declaration
    db.session.commit()
    html = page(parent_client, "/documents")
    response = parent_client.post(f"/documents/maladie/{declaration.id}/certificat",
                                  data={"csrf_token": csrf_from(html),
                                        "file": upload(b"MZ\x90 not a pdf", "certif.pdf")},
                                  content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Seuls les fichiers PDF, JPEG ou PNG sont acceptés" in words(
        response.get_data(as_text=True))
    assert db.session.scalar(select(db.func.count(Document.id))) == 0


def test_the_rules_page_says_the_illness_rule(client, demo):
    settings = rules()
    settings.illness_carence_days = 2
    settings.illness_certificate_days = 5
    db.session.add(settings)
    db.session.commit()
    shown = words(page(client, "/reglement-interieur"))
    assert "Absence pour maladie" in shown
    assert "le jour même jusqu'à 09:00" in shown
    assert "dans les 5 jours qui suivent la déclaration" in shown
    assert "les 2 premiers jours d'absence sont facturés (jours de carence)" in shown.lower() \
        or "Les 2 premiers jours d'absence sont facturés (jours de carence)" in shown


def test_the_certificate_sent_with_the_declaration(parent_client, demo):
    canteen = activity(CANTEEN)
    day = upcoming_day(canteen, 1, child("Léa"))
    reserved("Léa", CANTEEN, day)
    past_cancel_deadline(canteen, day)
    html = page(parent_client, "/activites/maladie")
    response = parent_client.post("/activites/maladie", data={
        "csrf_token": csrf_from(html), "child": child("Léa").id, "first_day": day.isoformat(),
        "last_day": day.isoformat(), "certificate": upload(pdf_bytes(), "certificat.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    declaration = db.session.scalar(select(IllnessDeclaration))
    assert declaration.document.kind == "medical" and declaration.document.status == "received"
    assert "Certificat médical envoyé, en cours d'examen" in words(
        page(parent_client, "/activites/maladie"))
    # nothing more is asked from the documents area
    assert "Certificats médicaux attendus" not in page(parent_client, "/documents")


def test_the_admin_sets_the_illness_rules(client, demo):
    login(client, *demo.ADMIN)
    html = page(client, "/admin/facturation/regles")
    assert "Jours de carence" in words(html)
    settings = rules()
    data = {"csrf_token": csrf_from(html), "unreserved_pricing": "surcharge",
            "unreserved_surcharge_percent": "20", "default_bracket_id": "0", "due_days": "30",
            "first_reminder_days": "10", "second_reminder_days": "30",
            "illness_declaration_until": "08:30", "illness_certificate_days": "5",
            "illness_carence_days": "2"}
    data.update({name: "y" for name in ("bill_reserved_present", "bill_absent_unexcused")})
    response = client.post("/admin/facturation/regles", data=data)
    assert response.status_code == 302, words(response.get_data(as_text=True))[:1500]
    db.session.expire_all()
    settings = rules()
    assert (settings.illness_declaration_until, settings.illness_certificate_days,
            settings.illness_carence_days) == (time(8, 30), 5, 2)
    response = client.post("/admin/facturation/regles", data=dict(
        data, illness_carence_days="-1"))
    assert response.status_code == 422
