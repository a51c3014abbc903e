"""Billing: the town's rules on worked examples, QF brackets, the invoicing run (its job,
progress, emails, PDF), re-runs and concurrent runs."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from extensions import db
from jobs import invoicing
from models import BillingSettings, Invoice, InvoicingRun, OutboundEmail, QfBracket, Tariff
from models.billing import bracket_for, issue_invoices
from models.clock import paris_today
from models.reference import forget_kept
from tests.billing_helpers import (
    HTMX,
    MONTH,
    book,
    cancelled,
    days_of,
    family,
    invoice_of,
    mark,
    noon,
    pdf_text,
    plain,
)
from tests.helpers import activity, at_once, body, login, page, submit, text_of

CANTEEN = "Restauration scolaire"


today = paris_today  # Paris time, moved by PORTAIL_TEST_TODAY


def lines_of(invoice):
    return {(line.child_name, line.activity_name, line.kind):
            (line.quantity, line.unit_price, line.amount) for line in invoice.lines}


@pytest.fixture
def march(demo):
    """MARTIN (QF 720, Tranche B: canteen 2.35 €, APS Soir 1.80 €) in March 2026:
    every case of the billing rules once."""
    d = days_of(CANTEEN, 10)
    for day in d[:3]:                       # reserved and present
        book("Léa", CANTEEN, day)
        mark("Léa", CANTEEN, day, "present")
    book("Léa", CANTEEN, d[3])              # reserved, nobody marked the roll call
    book("Léa", CANTEEN, d[4])              # reserved, absent without a valid reason
    mark("Léa", CANTEEN, d[4], "absent", "unexcused")
    book("Léa", CANTEEN, d[5])              # reserved, ill, no certificate
    mark("Léa", CANTEEN, d[5], "absent", "ill")
    book("Léa", CANTEEN, d[6])              # reserved, ill, certificate handed in
    mark("Léa", CANTEEN, d[6], "absent", "ill", certificate=True)
    book("Léa", CANTEEN, d[7])              # reserved, absence excused by the service
    mark("Léa", CANTEEN, d[7], "absent", "excused")
    evening = days_of("APS Soir", 2)
    for day in evening:                     # present without a reservation
        mark("Léa", "APS Soir", day, "present", unreserved=True)
    # Hugo: a day cancelled in time by his parents (not billed, even marked absent), and
    # two days an agent recorded as illness after the deadline (emergency).
    cancelled("Hugo", CANTEEN, d[0], submitted_at=noon(d[0] - timedelta(days=10)))
    cancelled("Hugo", CANTEEN, d[1], submitted_at=noon(d[1]), by_staff=True)
    mark("Hugo", CANTEEN, d[1], "absent", "ill")
    cancelled("Hugo", CANTEEN, d[2], submitted_at=noon(d[2]), by_staff=True)
    mark("Hugo", CANTEEN, d[2], "absent", "ill", certificate=True)
    return demo


def test_each_billing_rule_on_a_worked_example(march):
    [invoice] = issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    assert lines_of(invoice_of("MARTIN")) == {
        # 3 present + 1 reserved without a mark (billed as present by default)
        ("Léa MARTIN", CANTEEN, "reserved"): (4, Decimal("2.35"), Decimal("9.40")),
        ("Léa MARTIN", CANTEEN, "absent_unexcused"): (1, Decimal("2.35"), Decimal("2.35")),
        ("Léa MARTIN", CANTEEN, "absent_ill"): (1, Decimal("2.35"), Decimal("2.35")),
        # 1.80 € + 20 % = 2.16 €
        ("Léa MARTIN", "APS Soir", "unreserved"): (2, Decimal("2.16"), Decimal("4.32")),
        # the late illness absence without certificate; the one with a certificate and
        # the in-time cancellation cost nothing
        ("Hugo MARTIN", CANTEEN, "absent_ill"): (1, Decimal("2.35"), Decimal("2.35")),
    }
    assert invoice.total == Decimal("20.77")
    assert invoice.number == f"{today().year}-000001"
    assert invoice.bracket_label == "Tranche B"


def test_each_rule_is_a_setting(march):
    settings = BillingSettings.current()
    settings.bill_unmarked_reserved = False
    settings.bill_absent_unexcused = False
    settings.bill_absent_ill = False
    settings.bill_absent_ill_certified = True
    settings.bill_absent_excused = True
    settings.unreserved_surcharge_percent = Decimal("50")
    db.session.commit()
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    assert lines_of(invoice_of("MARTIN")) == {
        ("Léa MARTIN", CANTEEN, "reserved"): (3, Decimal("2.35"), Decimal("7.05")),
        ("Léa MARTIN", CANTEEN, "absent_ill_certified"): (1, Decimal("2.35"), Decimal("2.35")),
        ("Léa MARTIN", CANTEEN, "absent_excused"): (1, Decimal("2.35"), Decimal("2.35")),
        ("Léa MARTIN", "APS Soir", "unreserved"): (2, Decimal("2.70"), Decimal("5.40")),
        ("Hugo MARTIN", CANTEEN, "absent_ill_certified"): (1, Decimal("2.35"),
                                                           Decimal("2.35")),
    }
    assert invoice_of("MARTIN").total == Decimal("19.50")


def test_surcharge_is_rounded_to_the_cent_half_up(demo):
    settings = BillingSettings.current()
    settings.unreserved_surcharge_percent = Decimal("15")
    db.session.commit()
    for day in days_of("APS Soir", 3):
        mark("Léa", "APS Soir", day, "present", unreserved=True)
    issue_invoices([family("MARTIN").id], MONTH, today())
    db.session.commit()
    # 1.80 x 1.15 = 2.07 exactly; Tranche A's 1.20 x 1.15 = 1.38
    assert lines_of(invoice_of("MARTIN"))[("Léa MARTIN", "APS Soir", "unreserved")] == (
        3, Decimal("2.07"), Decimal("6.21"))


def test_qf_brackets_at_their_boundaries(demo):
    brackets = QfBracket.ordered()
    a, b, c, d = brackets
    assert [bracket_for(qf, brackets, None) for qf in (0, 500, 501, 900, 901, 1300, 1301, 9999)] \
        == [a, a, b, b, c, c, d, d]
    assert bracket_for(None, brackets, None) == d       # unknown: the highest by default
    assert bracket_for(None, brackets, b) == b          # or the town's default bracket

    day = days_of(CANTEEN, 1)[0]
    for who in ("Léa", "Jules"):
        book(who, CANTEEN, day)
    expected = {None: "4.10", 0: "1.00", 500: "1.00", 501: "2.35", 900: "2.35", 901: "3.40",
                1301: "4.10"}
    for quotient, price in expected.items():
        family("MARTIN").quotient = quotient
        db.session.commit()
        issue_invoices([family("MARTIN").id], MONTH, today())
        db.session.commit()
        assert invoice_of("MARTIN").total == Decimal(price), quotient
        db.session.delete(invoice_of("MARTIN"))
        db.session.commit()


def test_an_activity_without_a_price_is_not_billed(demo):
    day = days_of(CANTEEN, 1)[0]
    book("Léa", CANTEEN, day)
    db.session.execute(Tariff.__table__.delete().where(
        Tariff.activity_id == activity(CANTEEN).id))
    db.session.commit()
    assert issue_invoices([family("MARTIN").id], MONTH, today()) == []


# -- The invoicing run, as staff and parents see it ----------------------------------------

def start(client, month=MONTH):
    return submit(client, "/admin/facturation", {"month": month.strftime("%Y-%m")})


def test_invoicing_a_month_from_the_staff_page(client, other_client, march, run_jobs,
                                               mailbox):
    book("Jules", CANTEEN, days_of(CANTEEN, 1)[0])
    login(client, *march.REGISSEUR)
    assert "Facturer un mois" in page(client, "/admin/facturation")
    response = start(client)
    assert response.status_code == 302
    run_url = response.headers["Location"]
    # Before the worker picks it up, the progress fragment polls itself.
    fragment = client.get(run_url, headers=HTMX)
    assert "<html" not in body(fragment) and 'hx-trigger="every 1s"' in body(fragment)
    assert "La facturation va commencer." in body(fragment)

    run_jobs()
    fragment = body(client.get(run_url, headers=HTMX))
    assert "hx-trigger" not in fragment  # finished: it stops polling
    assert "Terminé." in fragment and "2 factures émises" in fragment
    run = db.session.scalar(select(InvoicingRun))
    assert (run.status, run.families_total, run.families_done, run.invoices_created) == (
        "done", 2, 2, 2)

    bernard, martin = invoice_of("BERNARD"), invoice_of("MARTIN")
    year = today().year
    # numbered in alphabetical order of the families, without gaps
    assert (bernard.number, martin.number) == (f"{year}-000001", f"{year}-000002")
    assert bernard.total == Decimal("1.00")  # Jules, QF 450: Tranche A

    # The parent is told, and finds it at home and in the Espace facturation.
    email = mailbox.wait_for(march.PARENT[0], "Nouvelle facture disponible")
    text = plain(text_of(email))
    assert "Votre facture de mars 2026 (n° " + martin.number + ") est disponible : 20,77 €" \
        in text
    assert "prélevée sur votre compte" in text  # the MARTIN have a mandate
    link = re.search(r"http://localhost(/facturation/\d+)", text)[1]
    login(other_client, *march.PARENT)
    home = plain(page(other_client, "/"))
    assert re.search(r'Nouvelles factures</span> <span class="counter__value">1<', home)
    html = plain(page(other_client, "/facturation/"))
    assert "Mars 2026" in html and martin.number in html and "À payer" in html
    assert "Reste à payer" in html and "20,77 €" in html
    assert "Quotient familial" in html and "720 €" in html and "Tranche B" in html
    assert "PF-MARTIN-0001" in html and "•••• •••• •••• 2606" in html
    assert "FR1420041010050500013M02606" not in html
    detail = plain(page(other_client, link))
    assert "Absences pour maladie sans certificat médical" in detail
    assert "Présences sans réservation (tarif majoré)" in detail and "4,32 €" in detail

    pdf = other_client.get(f"{link}/facture.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        f'attachment; filename="facture-{martin.number}.pdf"')
    assert pdf.headers["Cache-Control"] == "no-store"
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint's import left it as it was
    text = pdf_text(pdf.data)
    for expected in ("Mairie de Beaulieu-sur-Loire", "1 place de la Mairie",
                     "Famille MARTIN", "12 rue des Tilleuls", f"Facture {martin.number}",
                     "Léa", "Restauration scolaire", "Jours réservés", "9,40 €", "2,16 €",
                     "Total 20,77 €", "À régler avant le", "Comment payer",
                     "mandat de prélèvement", "PF-MARTIN-0001"):
        assert expected in text, expected
    due = martin.due_on
    assert f"{due.day} " in text.split("À régler avant le")[1][:20]


def test_a_rerun_issues_only_what_is_missing(client, march, run_jobs, mailbox):
    login(client, *march.REGISSEUR)
    start(client)
    run_jobs()
    numbers = sorted(db.session.scalars(select(Invoice.number)))
    assert len(numbers) == 1  # only the MARTIN had days in March
    # The BERNARD's roll call comes in late; the month is invoiced again.
    book("Jules", CANTEEN, days_of(CANTEEN, 1)[0])
    response = start(client)
    run_jobs()
    html = body(client.get(response.headers["Location"]))
    assert "1 facture émise" in html
    run = db.session.scalars(select(InvoicingRun).order_by(InvoicingRun.id.desc())).first()
    assert (run.families_total, run.already_invoiced, run.invoices_created) == (1, 1, 1)
    assert sorted(db.session.scalars(select(Invoice.number))) == [
        numbers[0], f"{today().year}-000002"]
    assert invoice_of("MARTIN").total == Decimal("20.77")  # unchanged
    emails = db.session.scalar(select(func.count(OutboundEmail.id)))
    # A third run finds nothing to do, and the job delivered twice changes nothing.
    start(client)
    run_jobs()
    invoicing.run_invoicing(run.id)
    assert db.session.scalar(select(func.count(Invoice.id))) == 2
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == emails
    assert len(mailbox.to(march.PARENT[0])) == 1


def test_only_a_finished_month_can_be_invoiced(client, demo):
    login(client, *demo.REGISSEUR)
    response = start(client, today().replace(day=1))
    assert response.status_code == 422
    assert "Seul un mois terminé peut être facturé." in body(response)
    assert db.session.scalar(select(func.count(InvoicingRun.id))) == 0


def test_two_runs_at_once_number_without_gap_or_duplicate(app, demo, monkeypatch):
    """Two months invoiced at the same time, one of them twice: every family gets one
    invoice a month, and the numbers of the year follow each other."""
    from models import Child, Family, Guardian

    april = MONTH.replace(month=4)
    canteen = activity(CANTEEN)
    march_day, april_day = days_of(CANTEEN, 1)[0], days_of(CANTEEN, 1, april)[0]
    for index in range(12):
        extra = Family(name=f"FAMILLE{index:02d}", quotient=300 + 100 * index)
        extra.guardians.append(Guardian(first_name="Parent", last_name=f"N{index}"))
        extra.children.append(Child(first_name=f"Enfant{index}", last_name="Test"))
        db.session.add(extra)
    db.session.flush()
    from models import Booking

    for kid in db.session.scalars(select(Child)).all():
        for day in (march_day, april_day):
            db.session.add(Booking(child_id=kid.id, activity_id=canteen.id, day=day,
                                   state="reserved"))
    runs = [InvoicingRun(month=m, status="queued") for m in (MONTH, MONTH, april, april)]
    db.session.add_all(runs)
    db.session.commit()
    run_ids = [r.id for r in runs]
    monkeypatch.setattr(invoicing, "CHUNK", 3)  # many transactions, interleaved
    def work(run_id):
        with app.app_context():
            try:
                return invoicing.run_invoicing(run_id)
            finally:
                db.session.remove()

    outcomes = at_once(*[lambda run_id=run_id: work(run_id) for run_id in run_ids])
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == []
    families = db.session.scalar(select(func.count(Family.id)))
    rows = db.session.execute(select(Invoice.family_id, Invoice.month, Invoice.number)).all()
    assert len(rows) == 2 * families
    assert len({(f, m) for f, m, _n in rows}) == 2 * families
    year = today().year
    assert sorted(n for _f, _m, n in rows) == [f"{year}-{i:06d}" for i in
                                                range(1, 2 * families + 1)]
    done = db.session.scalars(select(InvoicingRun).where(InvoicingRun.id.in_(run_ids))
                              .execution_options(populate_existing=True)).all()
    assert [run.status for run in done] == ["done"] * 4
    assert sum(run.invoices_created for run in done) == 2 * families


def test_the_invoicing_job_loads_in_bulk(app, demo):
    """A chunk of families costs the same statements whatever its size; only the emails
    (a few queries each) grow with the guardians who have an account (none here)."""
    from models import Booking, Child, Family, Guardian

    canteen = activity(CANTEEN)
    days = days_of(CANTEEN, 8)

    def add_families(count, prefix):
        for index in range(count):
            extra = Family(name=f"{prefix}{index:02d}", quotient=600)
            extra.guardians.append(Guardian(first_name="Parent", last_name=f"N{index}"))
            for number in range(2):
                extra.children.append(Child(first_name=f"Enfant{number}", last_name="Test"))
            db.session.add(extra)
            db.session.flush()
            for kid in extra.children:
                for day in days:
                    db.session.add(Booking(child_id=kid.id, activity_id=canteen.id, day=day,
                                           state="reserved"))
        db.session.commit()

    def queries_for_a_run(month):
        run = InvoicingRun(month=month, status="queued")
        db.session.add(run)
        db.session.commit()
        count = [0]
        forget_kept()  # both runs read the town and the settings

        def counter(*_args):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            invoicing.run_invoicing(run.id)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count[0]

    add_families(3, "PETIT")
    small = queries_for_a_run(MONTH)
    db.session.execute(Invoice.__table__.delete())
    db.session.commit()
    add_families(17, "GRAND")
    large = queries_for_a_run(MONTH)
    assert db.session.scalar(select(func.count(Invoice.id))) == 20
    assert large == small, (small, large)  # one chunk of families, the same statements
