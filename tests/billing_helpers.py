"""Helpers for the billing tests: a past month with reserved days and roll-call marks,
amounts as people read them."""
import io
from datetime import date, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from extensions import db
from models import Attendance, Booking, Enrollment, Family, Invoice, Request, RequestLine, User
from models.planning import PlanningCalendar
from tests.helpers import activity, child

# A past month of the school year 2025-2026 with school every week but one of holidays.
MONTH = date(2026, 3, 1)
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def days_of(what, count, month=MONTH):
    """The first `count` days of the month when the activity runs."""
    an_activity = activity(what)
    calendar = PlanningCalendar("B", month, month + timedelta(days=31))
    days, day = [], month
    while len(days) < count:
        assert day.month == month.month, "not enough days in the month"
        if calendar.runs(an_activity, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def enroll(who, what, school_year=2025):
    db.session.add(Enrollment(child_id=child(who).id, activity_id=activity(what).id,
                              school_year=school_year))
    db.session.commit()


def book(who, what, day, state="reserved"):
    booking = Booking(child_id=child(who).id, activity_id=activity(what).id, day=day,
                      state=state)
    db.session.add(booking)
    db.session.commit()
    return booking


def mark(who, what, day, status, reason=None, certificate=False, unreserved=None):
    agent = db.session.scalar(select(User).where(User.role == "staff"))
    Attendance.mark(child(who).id, activity(what).id, day, status, agent, reason=reason,
                    unreserved=unreserved)
    if certificate:
        row = db.session.scalar(select(Attendance).where(
            Attendance.child_id == child(who).id, Attendance.activity_id == activity(what).id,
            Attendance.day == day))
        row.certificate = True
    db.session.commit()


def cancelled(who, what, day, submitted_at, by_staff=False):
    """A reserved day whose absence was accepted, asked at `submitted_at` (naive UTC)."""
    kid = child(who)
    request = Request(family_id=kid.family_id, action="absence", submitted_at=submitted_at,
                      status="processed", processed_at=submitted_at)
    if by_staff:
        request.staff_user_id = db.session.scalar(select(User.id).where(User.role == "staff"))
        request.staff_reason = "Appel de la mère : enfant malade."
    line = RequestLine(child_id=kid.id, activity_id=activity(what).id, day=day,
                       action="absence", from_state="reserved", outcome="accepted",
                       decided_at=submitted_at)
    request.lines.append(line)
    db.session.add(request)
    db.session.flush()
    db.session.add(Booking(child_id=kid.id, activity_id=activity(what).id, day=day,
                           state="absent", last_line_id=line.id))
    db.session.commit()


def family(name):
    return db.session.scalar(select(Family).where(Family.name == name))


def invoice_of(name, month=MONTH):
    return db.session.scalar(select(Invoice).where(Invoice.family_id == family(name).id,
                                                   Invoice.month == month)
                             .execution_options(populate_existing=True))


def plain(text):
    """French amounts use no-break spaces: '1 250,00 €' as typed."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return plain("\n".join(page.extract_text() for page in reader.pages))


def noon(day):
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=11)


def words(html):
    """The page's text as a person reads it: no tags, single spaces."""
    import re

    return " ".join(plain(re.sub(r"<[^>]+>", " ", html)).split())
