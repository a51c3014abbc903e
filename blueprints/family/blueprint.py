"""Ma famille's blueprint: parents only, and nothing of it kept by a cache."""
from flask import Blueprint

from security import never_stored, parent_required

bp = Blueprint("family", __name__, url_prefix="/ma-famille")
bp.before_request(parent_required)
bp.after_request(never_stored)  # health, bank and billing data: no cache keeps a copy
