"""Corrections after issue (régularisations): every source of change ends, through the
staff page and the real worker, in the right credit note or supplementary invoice;
credit notes lower what is due or become credit; numbers stay gapless under two runs."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs import corrections as correction_jobs
from models import AuditEvent, Closure, CorrectionRun, CreditNote, Invoice, OutboundEmail
from models.billing import account_of, issue_invoices, record_payment
from models.clock import to_paris, utcnow
from models.corrections import issue_corrections, pending_corrections
from tests.billing_helpers import MONTH, book, days_of, family, invoice_of, mark, pdf_text, words
from tests.helpers import activity, at_once, body, csrf_from, login, page, text_of

CANTEEN = "Restauration scolaire"


def today():
    return to_paris(utcnow()).date()


@pytest.fixture
def invoiced(demo):
    """March 2026 invoiced: MARTIN (Tranche B, 2.35 €) Léa 4 canteen days = 9.40 €; the
    first two marked present, day 3 ill (no certificate), day 4 not marked."""
    days = days_of(CANTEEN, 4)
    for day in days:
        book("Léa", CANTEEN, day)
    mark("Léa", CANTEEN, days[0], "present")
    mark("Léa", CANTEEN, days[1], "present")
    mark("Léa", CANTEEN, days[2], "absent", "ill")
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    assert invoice_of("MARTIN").total == Decimal("9.40")
    demo.days = days
    return demo


REGISSEUR = ("regie@example.org", "portail-regie-2026")


def issue_from_the_page(client, run_jobs, family_name=None, logged_in=False):
    """The régisseur opens the pending corrections of March and issues them."""
    if not logged_in:
        login(client, *REGISSEUR)
    html = page(client, "/admin/facturation/regularisations?mois=2026-03")
    data = {"csrf_token": csrf_from(html), "month": "2026-03"}
    if family_name:
        data["family_id"] = family(family_name).id
    response = client.post("/admin/facturation/regularisations", data=data)
    assert response.status_code == 302
    run_jobs()
    return words(html)


def notes():
    return db.session.scalars(select(CreditNote).order_by(CreditNote.id)
                              .execution_options(populate_existing=True)).all()


def supplements():
    return db.session.scalars(select(Invoice).where(Invoice.corrects_id.is_not(None))
                              .order_by(Invoice.id)).all()


def line_facts(document):
    return [(line.child_name, line.kind, line.quantity, line.amount, line.reason)
            for line in document.lines]


def test_a_november_mark_changed_in_december_ends_in_a_credit_note(
        client, other_client, invoiced, run_jobs, mailbox):
    """The 'done when' of the issue: a mark changed after issue, the correction waits,
    the régisseur issues it, the family sees the credit note and its new balance."""
    day = invoiced.days[3]  # billed as present (not marked); the child was excused
    mark("Léa", CANTEEN, day, "absent", "excused")
    shown = issue_from_the_page(client, run_jobs)
    assert "Famille MARTIN" in shown and "À créditer (avoir) : 2,35 €" in shown
    assert "Pointage ajouté ou modifié après la facture" in shown
    [note] = notes()
    year = today().year
    assert note.number == f"AV-{year}-0001"
    assert line_facts(note) == [("Léa MARTIN", "reserved", 1, Decimal("2.35"), "rollcall")]
    invoice = invoice_of("MARTIN")
    assert (invoice.total, invoice.credited, invoice.balance) == (
        Decimal("9.40"), Decimal("2.35"), Decimal("7.05"))
    assert supplements() == []
    # Nothing left pending; running the job again changes nothing.
    assert pending_corrections(MONTH) == []
    run = db.session.scalar(select(CorrectionRun))
    assert (run.status, run.credit_notes, run.invoices) == ("done", 1, 0)
    correction_jobs.run_corrections(run.id)
    assert len(notes()) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "credit_note.issued")) == 1

    mailbox.wait_for(invoiced.PARENT[0], "Un avoir a été émis")
    login(other_client, *invoiced.PARENT)
    detail = words(page(other_client, f"/facturation/{invoice.id}"))
    assert f"Avoir AV-{year}-0001" in detail and "− 2,35 €" in detail
    assert "Reste à payer 7,05 €" in detail
    index = words(page(other_client, "/facturation/"))
    assert "Vos avoirs" in index and f"AV-{year}-0001" in index and "7,05 €" in index
    pdf = other_client.get(f"/facturation/avoirs/{note.id}/avoir.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for expected in (f"Avoir AV-{year}-0001", f"Sur la facture {invoice.number}",
                     "Famille MARTIN", "2,35 €", "Pointage ajouté"):
        assert expected in text, expected
    staff = words(page(client, f"/admin/familles/{invoice.family_id}/facturation"))
    assert f"Avoir AV-{year}-0001" in staff and "− 2,35 €" in staff
    assert client.get(f"/admin/avoirs/{note.id}/avoir.pdf").status_code == 200
    # Another family's credit note is not found.
    assert other_client.get(f"/facturation/avoirs/{note.id + 1}/avoir.pdf").status_code == 404


def test_a_certificate_accepted_late_credits_the_illness_day(client, invoiced, run_jobs):
    login(client, *REGISSEUR)
    from models import Attendance

    absence = db.session.scalar(select(Attendance).where(Attendance.day == invoiced.days[2]))
    html = page(client, "/admin/facturation/certificats?mois=2026-03")
    client.post(f"/admin/facturation/certificats/{absence.id}",
                data={"csrf_token": csrf_from(html), "certificate": "1"})
    issue_from_the_page(client, run_jobs, logged_in=True)
    [note] = notes()
    assert line_facts(note) == [("Léa MARTIN", "absent_ill", 1, Decimal("2.35"),
                                 "certificate")]


def test_a_mark_present_without_booking_ends_in_a_supplementary_invoice(
        client, invoiced, run_jobs):
    evening = days_of("APS Soir", 2)
    for day in evening:
        mark("Léa", "APS Soir", day, "present", unreserved=True)
    issue_from_the_page(client, run_jobs)
    assert notes() == []
    [extra] = supplements()
    main = invoice_of("MARTIN")
    assert extra.corrects_id == main.id and extra.month == MONTH
    assert extra.number == f"{today().year}-000002"  # the invoices' own series, no gap
    # 1.80 € + 20 % = 2.16 €, twice
    assert line_facts(extra) == [("Léa MARTIN", "unreserved", 2, Decimal("4.32"), "rollcall")]
    assert account_of(family("MARTIN").id).due == Decimal("13.72")


def test_a_closure_releasing_a_booked_day_credits_it(client, invoiced, run_jobs):
    day = invoiced.days[3]
    closure = Closure(activity_id=activity(CANTEEN).id, first_day=day, last_day=day,
                      reason="Grève")
    db.session.add(closure)
    closure.release_bookings()
    db.session.commit()
    issue_from_the_page(client, run_jobs)
    [note] = notes()
    assert line_facts(note) == [("Léa MARTIN", "reserved", 1, Decimal("2.35"), "released")]


def test_a_quotient_error_credits_the_old_price_and_bills_the_new_one(
        client, invoiced, run_jobs):
    martin = family("MARTIN")
    martin.quotient = 450  # Tranche A: 1.00 € instead of 2.35 €
    db.session.commit()
    issue_from_the_page(client, run_jobs, family_name="MARTIN")
    [note] = notes()
    [extra] = supplements()
    assert line_facts(note) == [("Léa MARTIN", "reserved", 3, Decimal("7.05"), "price"),
                                ("Léa MARTIN", "absent_ill", 1, Decimal("2.35"), "price")]
    assert line_facts(extra) == [("Léa MARTIN", "reserved", 3, Decimal("3.00"), "price"),
                                 ("Léa MARTIN", "absent_ill", 1, Decimal("1.00"), "price")]
    assert account_of(martin.id).due == Decimal("4.00")


def test_a_credit_note_on_a_paid_invoice_becomes_the_familys_credit(
        client, invoiced, run_jobs):
    martin = family("MARTIN")
    record_payment(martin, Decimal("9.40"), "cheque", today(), None,
                   invoice=invoice_of("MARTIN"))
    db.session.commit()
    mark("Léa", CANTEEN, invoiced.days[3], "absent", "excused")
    issue_from_the_page(client, run_jobs)
    invoice = invoice_of("MARTIN")
    assert (invoice.net_total, invoice.amount_paid, invoice.balance) == (
        Decimal("7.05"), Decimal("7.05"), Decimal("0.00"))
    account = account_of(martin.id)
    assert (account.due, account.credit) == (Decimal("0.00"), Decimal("2.35"))


def test_the_credit_of_a_paid_invoice_pays_its_supplementary_invoice(invoiced):
    martin = family("MARTIN")
    record_payment(martin, Decimal("9.40"), "cheque", today(), None)
    db.session.commit()
    mark("Léa", CANTEEN, invoiced.days[3], "absent", "excused")       # - 2.35
    mark("Léa", "APS Soir", days_of("APS Soir", 1)[0], "present", unreserved=True)  # + 2.16
    issue_corrections(MONTH, today(), None)
    db.session.commit()
    [extra] = supplements()
    assert extra.balance == Decimal("0.00")  # settled by the freed 2.35 €
    assert account_of(martin.id).credit == Decimal("0.19")


def test_an_invoice_is_cancelled_only_by_a_full_credit_note(client, invoiced, run_jobs):
    invoice = invoice_of("MARTIN")
    login(client, *REGISSEUR)
    url = f"/admin/factures/{invoice.id}/annuler"
    html = page(client, url)
    refused = client.post(url, data={"csrf_token": csrf_from(html), "reason": ""})
    assert refused.status_code == 422
    assert "Indiquez le motif." in body(refused) and "Cochez la case" in body(refused)
    assert notes() == []
    done = client.post(url, data={"csrf_token": csrf_from(html), "reason": "Famille partie",
                                  "confirm": "y"})
    assert done.status_code == 302
    [note] = notes()
    assert note.cancels and note.total == Decimal("9.40") and note.note == "Famille partie"
    invoice = invoice_of("MARTIN")
    assert invoice.status_on(today()) == "cancelled" and invoice.balance == 0
    assert "Annulée par un avoir" in words(page(client, f"/admin/factures/{invoice.id}"))
    # A cancelled month is left out of corrections, even when its roll call changes.
    mark("Léa", CANTEEN, invoiced.days[3], "absent", "excused")
    assert pending_corrections(MONTH) == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.cancelled"))
    assert event.details["reason"] == "Famille partie" and event.actor.email.startswith("regie")


def test_two_correction_runs_at_once_number_without_gap(app, invoiced):
    """Twelve families corrected by two runs at the same moment: each credit note once,
    numbers AV-year-0001.. without gap (also run on PostgreSQL)."""
    from models import Booking, Child, Family, Guardian

    canteen = activity(CANTEEN)
    day = invoiced.days[0]
    ids = []
    for index in range(12):
        extra = Family(name=f"FAMILLE{index:02d}", quotient=600)
        extra.guardians.append(Guardian(first_name="Parent", last_name=f"N{index}"))
        extra.children.append(Child(first_name=f"Enfant{index}", last_name="Test"))
        db.session.add(extra)
        db.session.flush()
        db.session.add(Booking(child_id=extra.children[0].id, activity_id=canteen.id,
                               day=day, state="reserved"))
        ids.append(extra.id)
    db.session.commit()
    issue_invoices(ids, MONTH, today())
    db.session.commit()
    # Every booking released: each family is owed a credit note.
    db.session.execute(Booking.__table__.update().where(
        Booking.child_id.in_(select(Child.id).where(Child.family_id.in_(ids))))
        .values(state="none"))
    db.session.commit()

    def work():
        from models.db_tools import begin_write

        with app.app_context():
            try:
                begin_write()
                result = issue_corrections(MONTH, today(), None)
                db.session.commit()
                return result
            finally:
                db.session.remove()

    outcomes = at_once(work, work)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    numbers = sorted(n.number for n in notes())
    year = today().year
    assert numbers == [f"AV-{year}-{i:04d}" for i in range(1, 13)]
    assert sorted(len(o[0]) for o in outcomes) == [0, 12]


def test_issuing_corrections_costs_the_same_queries_whatever_the_families(invoiced):
    from sqlalchemy import event

    from models import Booking, Child, Family, Guardian

    canteen = activity(CANTEEN)
    day = invoiced.days[0]

    def corrected(count, prefix):
        ids = []
        for index in range(count):
            extra = Family(name=f"{prefix}{index:02d}", quotient=600)
            extra.guardians.append(Guardian(first_name="Parent", last_name=f"N{index}"))
            extra.children.append(Child(first_name=f"Enfant{index}", last_name="Test"))
            db.session.add(extra)
            db.session.flush()
            db.session.add(Booking(child_id=extra.children[0].id, activity_id=canteen.id,
                                   day=day, state="reserved"))
            ids.append(extra.id)
        db.session.commit()
        issue_invoices(ids, MONTH, today())
        db.session.commit()
        for kid in db.session.scalars(select(Child).where(Child.family_id.in_(ids))):
            mark(kid.first_name, CANTEEN, day, "absent", "excused")
            mark(kid.first_name, "APS Soir", days_of("APS Soir", 1)[0], "present",
                 unreserved=True)
        count_ = [0]

        def counter(*_args):
            count_[0] += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            issue_corrections(MONTH, today(), None, family_ids=ids)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count_[0]

    small = corrected(3, "PETIT")
    large = corrected(15, "GRAND")
    assert large == small, (small, large)


def test_the_family_is_told_once_of_each_document(invoiced, run_jobs, client, mailbox):
    mark("Léa", CANTEEN, invoiced.days[3], "absent", "excused")
    mark("Léa", "APS Soir", days_of("APS Soir", 1)[0], "present", unreserved=True)
    issue_from_the_page(client, run_jobs)
    kinds = db.session.scalars(select(OutboundEmail.kind).order_by(OutboundEmail.id)).all()
    assert kinds == ["credit_note_issued", "invoice_issued"]
    [extra] = supplements()
    email = mailbox.wait_for(invoiced.PARENT[0], "Nouvelle facture disponible")
    assert extra.number in text_of(email)


def test_a_tariff_error_corrected_after_issue(client, invoiced, run_jobs):
    from models import QfBracket, Tariff

    bracket_b = QfBracket.ordered()[1]
    Tariff.set_price(activity(CANTEEN).id, bracket_b.id, Decimal("2.00"))
    db.session.commit()
    issue_from_the_page(client, run_jobs)
    [note] = notes()
    [extra] = supplements()
    assert note.total == Decimal("9.40") and extra.total == Decimal("8.00")
    assert {line.reason for line in [*note.lines, *extra.lines]} == {"price"}
    assert account_of(family("MARTIN").id).due == Decimal("8.00")
