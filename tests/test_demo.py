"""The demo town of `make run` stays useful whatever the date: its families are enrolled
in the school year being planned and have bookings to see, even in the summer break."""
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from extensions import db
from models import Booking, Enrollment, Invoice
from models.clock import PARIS


@pytest.mark.parametrize("today, years, first_upcoming", [
    (date(2027, 7, 20), {2026, 2027}, date(2027, 9, 2)),   # summer: 2027-2028 starts
    (date(2026, 12, 18), {2026}, date(2027, 1, 4)),        # before the Christmas holidays
    (date(2027, 3, 28), {2026}, date(2027, 3, 30)),        # DST Sunday, Easter Monday next
])
def test_the_demo_follows_the_school_year(app, today, years, first_upcoming):
    import demo

    with time_machine.travel(datetime(today.year, today.month, today.day, 10, tzinfo=PARIS)):
        demo.load(invoices=True)
        db.session.commit()
    assert set(db.session.scalars(select(Enrollment.school_year).distinct())) == years
    upcoming = select(Booking.day).where(Booking.day > today)
    assert db.session.scalar(select(func.min(upcoming.subquery().c.day))) == first_upcoming
    assert len(db.session.scalars(upcoming).all()) >= 2 * 20  # two children, weeks of canteen
    invoice = db.session.scalar(select(Invoice))
    assert invoice is not None and invoice.total > 0  # a month at school was invoiced
