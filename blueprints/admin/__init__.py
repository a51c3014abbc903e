"""The staff area. Every route here is for staff and admins only (see before_request);
views that configure the town are further restricted to admins with @admin_only."""
from datetime import timedelta

from flask import Blueprint
from sqlalchemy import func, select

from blueprints import current_town, render_page
from extensions import db
from models import Enrollment, Family, Request, User
from models.calendar import (
    school_holidays_known_until,
    school_year_label,
    school_years_without_holiday_data,
)
from models.clock import paris_to_utc, to_paris, utcnow
from models.occupancy import occupancy
from models.requests import RECEIVED
from security import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(staff_required)

DASHBOARD_WEEKS = 4

# Areas add (label, count function, endpoint): the "to do" figures of the dashboard;
# label(n) names what is counted, singular or plural as n calls for.
DASHBOARD_COUNTERS = []


def _count(statement):
    return db.session.scalar(statement) or 0


@bp.get("/")
def index():
    today = to_paris(utcnow()).date()
    midnight = paris_to_utc(to_paris(utcnow()).replace(hour=0, minute=0, second=0,
                                                       microsecond=0, tzinfo=None))
    counts = {
        "families": _count(select(func.count(Family.id))),
        "accounts": _count(select(func.count(User.id)).where(User.guardian_id.is_not(None))),
        "requests_today": _count(select(func.count(Request.id))
                                 .where(Request.submitted_at >= midnight)),
        "requests_waiting": _count(select(func.count(Request.id))
                                   .where(Request.status == RECEIVED)),
    }
    todo = [(label, count(), endpoint) for label, count, endpoint in DASHBOARD_COUNTERS]
    loads = occupancy(today, today + timedelta(weeks=DASHBOARD_WEEKS) - timedelta(days=1),
                      current_town().holiday_zone)
    return render_page("admin/index.html", counts=counts, todo=todo, loads=loads, today=today,
                       weeks=DASHBOARD_WEEKS,
                       unknown_holidays=[school_year_label(year) for year in
                                         school_years_without_holiday_data(
                                             Enrollment.planned_school_years(today))],
                       holidays_known_until=school_holidays_known_until())


# The modules below register their routes on bp.
from blueprints.admin import (  # noqa: E402,F401
    activities,
    audit,
    billing,
    changes,
    corrections,
    documents,
    exports,
    families,
    file,
    journal,
    messages,
    news,
    overdue,
    pages,
    printing,
    requests,
    rollcall,
    staff,
    statements,
    tariffs,
    tasks,
)
