"""Accueil: the parent's home page."""
from flask import Blueprint
from flask_login import current_user

from blueprints import render_page
from models import ChangeRequest
from security import parent_required

bp = Blueprint("home", __name__)
bp.before_request(parent_required)


@bp.get("/")
def index():
    family = current_user.family
    return render_page("home/index.html", family=family,
                       decisions=ChangeRequest.recent_decisions(family.id, limit=5),
                       pending_count=ChangeRequest.pending_count(family.id))
