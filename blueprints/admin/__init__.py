"""The staff area. Every route here is for staff and admins only (see before_request);
views that configure the town are further restricted to admins with @admin_only."""
from flask import Blueprint
from sqlalchemy import func, select

from blueprints import render_page
from extensions import db
from models import ContactThread, Document, Family, User
from security import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(staff_required)


@bp.get("/")
def index():
    counts = {
        "families": db.session.scalar(select(func.count(Family.id))),
        "accounts": db.session.scalar(
            select(func.count(User.id)).where(User.guardian_id.is_not(None))),
        "documents": Document.count_waiting(),
        "messages": ContactThread.count_awaiting(),
    }
    return render_page("admin/index.html", counts=counts)


from blueprints.admin import activities, documents, families, messages, news, pages  # noqa: E402,F401  (register their routes)  # noqa: E402,F401
