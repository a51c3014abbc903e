"""Accueil: the parent's home page."""
from flask import Blueprint
from flask_login import current_user

from blueprints import render_page
from security import parent_required

bp = Blueprint("home", __name__)
bp.before_request(parent_required)


@bp.get("/")
def index():
    return render_page("home/index.html", family=current_user.family)
