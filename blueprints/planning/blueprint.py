"""The planning area's blueprint: parents only."""
from flask import Blueprint

from security import parent_required

bp = Blueprint("planning", __name__)
bp.before_request(parent_required)
