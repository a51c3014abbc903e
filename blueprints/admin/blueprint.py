"""The staff area's blueprint. Every route here is for staff and admins only (see
before_request); views that configure the town are further restricted to admins with
@admin_only."""
from flask import Blueprint

from security import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(staff_required)

# Modules add (label, count function, endpoint): the "to do" figures of the dashboard;
# label(n) names what is counted, singular or plural as n calls for.
DASHBOARD_COUNTERS = []
