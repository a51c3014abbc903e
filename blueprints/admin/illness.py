"""Illnesses declared by the parents (models/illness.py): those still waiting for a
medical certificate, with the days left; the certificates themselves are reviewed with
the other documents."""
from flask_babel import ngettext

from blueprints.admin.blueprint import DASHBOARD_COUNTERS, bp
from blueprints.common.pages import render_page
from models import IllnessDeclaration
from models.clock import paris_today

DASHBOARD_COUNTERS.append((
    lambda n: ngettext("maladie déclarée sans certificat", "maladies déclarées sans certificat",
                       n),
    IllnessDeclaration.count_awaiting, "admin.illnesses"))


@bp.get("/maladies")
def illnesses():
    today = paris_today()
    return render_page("admin/illnesses.html", today=today,
                       declarations=IllnessDeclaration.awaiting_certificate(today))
