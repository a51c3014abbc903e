"""Invoicing figures of issue 7: one month for 1,000 families with 2 children each, every
child at the canteen on every school day of the month and at the evening APS twice a
week, with roll-call marks (a few absences, some unreserved evenings), one guardian with
a confirmed account per family (so each invoice also queues its email). The run's job is
called in-process; time and SQL queries are printed.

    .venv/bin/python bench/billing.py
    .venv/bin/python bench/billing.py --database-url postgresql://postgres@127.0.0.1:5432/portail_bench
"""
import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

MONTH = date(2026, 3, 1)


def build_town(db, families):
    """The families, their children, bookings and marks, written with bulk inserts."""
    from sqlalchemy import insert, select

    from models import Activity, Attendance, Booking, Child, Family, Guardian, User
    from models.clock import utcnow
    from models.planning import PlanningCalendar

    activities = {a.name: a for a in Activity.ordered()}
    canteen, evening = activities["Restauration scolaire"], activities["APS Soir"]
    calendar = PlanningCalendar("B", MONTH, MONTH + timedelta(days=30))
    days = [MONTH + timedelta(days=n) for n in range(31)
            if (MONTH + timedelta(days=n)).month == 3]
    canteen_days = [d for d in days if calendar.runs(canteen, d)]
    evening_days = [d for d in days if calendar.runs(evening, d) and d.isoweekday() in (2, 4)]
    db.session.execute(insert(Family), [
        {"name": f"BANC{index:04d}", "address_line": f"{index} rue du Banc",
         "postal_code": "44680", "city": "Beaulieu-sur-Loire", "quotient": 300 + index % 1500,
         "created_at": utcnow()} for index in range(families)])
    family_ids = db.session.scalars(select(Family.id).where(Family.name.like("BANC%"))
                                    .order_by(Family.id)).all()
    db.session.execute(insert(Guardian), [
        {"family_id": f, "civility": "Mme", "first_name": "Parent", "last_name": f"Banc{f}",
         "email": f"banc{f}@example.org"} for f in family_ids])
    db.session.execute(insert(Child), [
        {"family_id": f, "first_name": f"Enfant{n}", "last_name": f"Banc{f}",
         "birth_date": date(2016 + n, 1, 1), "planning_colour": n}
        for f in family_ids for n in range(2)])
    guardians = db.session.execute(select(Guardian.id, Guardian.family_id).where(
        Guardian.family_id.in_(family_ids))).all()
    sample = User(email="modele@example.org")
    sample.set_password("mot de passe du banc")
    db.session.execute(insert(User), [
        {"email": f"banc{family_id}@example.org", "password_hash": sample.password_hash,
         "role": "parent", "first_name": "Parent", "last_name": "Banc", "guardian_id": g,
         "confirmed_at": utcnow(), "created_at": utcnow(), "password_changed_at": utcnow()}
        for g, family_id in guardians])
    children = db.session.scalars(select(Child.id).where(Child.family_id.in_(family_ids))).all()
    agent = db.session.scalar(select(User.id).where(User.role == "staff"))
    bookings, marks = [], []
    for position, child_id in enumerate(children):
        for index, day in enumerate(canteen_days):
            bookings.append({"child_id": child_id, "activity_id": canteen.id, "day": day,
                             "state": "reserved", "updated_at": utcnow()})
            absent = (position + index) % 11 == 0
            marks.append({"child_id": child_id, "activity_id": canteen.id, "day": day,
                          "status": "absent" if absent else "present",
                          "absence_reason": ("ill" if index % 2 else "unexcused")
                          if absent else None, "certificate": False, "unreserved": False,
                          "marked_by_id": agent, "marked_at": utcnow()})
        for day in evening_days:
            marks.append({"child_id": child_id, "activity_id": evening.id, "day": day,
                          "status": "present", "absence_reason": None, "certificate": False,
                          "unreserved": position % 3 == 0, "marked_by_id": agent,
                          "marked_at": utcnow()})
            if position % 3:
                bookings.append({"child_id": child_id, "activity_id": evening.id, "day": day,
                                 "state": "reserved", "updated_at": utcnow()})
    db.session.execute(insert(Booking), bookings)
    db.session.execute(insert(Attendance), marks)
    db.session.commit()
    return len(bookings), len(marks)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--families", type=int, default=1000)
    args = parser.parse_args()
    folder = common.prepare_environment(args.database_url)
    redis = common.start_redis(folder)
    try:
        print(json.dumps(run(args.families), indent=2, ensure_ascii=False))
    finally:
        redis.terminate()


def timed_run(app, counter):
    """A run of the month, its job called as the worker calls it: seconds and queries."""
    from extensions import db
    from jobs.invoicing import run_invoicing
    from models import InvoicingRun

    with app.app_context():
        row = InvoicingRun(month=MONTH, status="queued")
        db.session.add(row)
        db.session.commit()
        run_id = row.id
        db.session.remove()
    with app.app_context(), counter.measure() as measured:
        started = time.perf_counter()
        run_invoicing(run_id)
        measured["seconds"] = round(time.perf_counter() - started, 2)
    return measured


def change_after_issue(db):
    """After the month is invoiced, each family's first child gets its first canteen day
    excused (a credit note) and each second child an unreserved evening (a supplementary
    invoice): what a régisseur finds in December about November."""
    from sqlalchemy import select, update

    from models import Activity, Attendance, Child, Family

    activities = {a.name: a for a in Activity.ordered()}
    canteen, evening = activities["Restauration scolaire"], activities["APS Soir"]
    children = db.session.execute(select(Child.id, Child.first_name).join(Family).where(
        Family.name.like("BANC%"))).all()
    first_day = db.session.scalar(select(Attendance.day).where(
        Attendance.activity_id == canteen.id).order_by(Attendance.day).limit(1))
    evening_day = db.session.scalar(select(Attendance.day).where(
        Attendance.activity_id == evening.id).order_by(Attendance.day).limit(1))
    first = [c for c, name in children if name == "Enfant0"]
    second = [c for c, name in children if name == "Enfant1"]
    db.session.execute(update(Attendance).where(
        Attendance.child_id.in_(first), Attendance.activity_id == canteen.id,
        Attendance.day == first_day).values(status="absent", absence_reason="excused"))
    db.session.execute(update(Attendance).where(
        Attendance.child_id.in_(second), Attendance.activity_id == evening.id,
        Attendance.day == evening_day).values(status="present", absence_reason=None,
                                              unreserved=True))
    from models import Booking

    db.session.execute(Booking.__table__.delete().where(
        Booking.child_id.in_(second), Booking.activity_id == evening.id,
        Booking.day == evening_day))
    db.session.commit()


def timed_corrections(app, counter, families):
    """Detecting the month's corrections (the staff page's query) and issuing them (the
    job, as the worker calls it)."""
    from extensions import db
    from jobs.corrections import run_corrections
    from models import CorrectionRun
    from models.corrections import pending_corrections

    with app.app_context(), counter.measure() as detected:
        started = time.perf_counter()
        found = pending_corrections(MONTH)
        detected["seconds"] = round(time.perf_counter() - started, 2)
        detected["families with corrections"] = len(found)
    with app.app_context():
        row = CorrectionRun(month=MONTH, status="queued")
        db.session.add(row)
        db.session.commit()
        run_id = row.id
        db.session.remove()
    with app.app_context(), counter.measure() as issued:
        started = time.perf_counter()
        run_corrections(run_id)
        issued["seconds"] = round(time.perf_counter() - started, 2)
    for measured in (detected, issued):
        measured["queries per family"] = round(measured["queries"] / families, 2)
    return detected, issued


def run(families):
    from sqlalchemy import func, select

    import demo
    from app import create_app
    from extensions import db
    from models import Invoice, InvoiceLine, OutboundEmail

    app = create_app()
    common.fresh_schema(app)
    with app.app_context():
        demo.load()
        db.session.commit()
        started = time.perf_counter()
        bookings, marks = build_town(db, families)
        setup_seconds = time.perf_counter() - started
        counter = common.QueryCounter(db.engine)
    first = timed_run(app, counter)
    second = timed_run(app, counter)
    with app.app_context():
        change_after_issue(db)
    detected, issued = timed_corrections(app, counter, families)
    with app.app_context():
        from models import CreditNote

        credit_notes = db.session.scalar(select(func.count(CreditNote.id)))
        supplementary = db.session.scalar(select(func.count(Invoice.id)).where(
            Invoice.corrects_id.is_not(None)))
        invoices = db.session.scalar(select(func.count(Invoice.id)))
        lines = db.session.scalar(select(func.count(InvoiceLine.id)))
        emails = db.session.scalar(select(func.count(OutboundEmail.id)))
        numbers = db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    return {
        "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0],
        "month": MONTH.strftime("%Y-%m"),
        "families": families, "children": 2 * families,
        "bookings": bookings, "roll-call marks": marks,
        "setup (bulk inserts, not measured below)": round(setup_seconds, 1),
        "invoicing run (the job: invoices, lines, emails queued)": dict(
            first, **{"queries per family": round(first["queries"] / families, 2)}),
        "re-run of the same month (nothing to issue)": second,
        "invoices": invoices, "invoice lines": lines, "emails queued": emails,
        "numbers": f"{numbers[0]} .. {numbers[-1]}" if numbers else None,
        "corrections: detection (every family's month recomputed and compared)": detected,
        "corrections: issuing (the job: credit notes, supplementary invoices, emails)":
            issued,
        "credit notes": credit_notes, "supplementary invoices": supplementary,
    }


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
