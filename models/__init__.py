"""Models and the domain rules that belong to them. No Flask request code here."""
from models.attendance import Attendance
from models.audit import AuditEvent
from models.family import Child, Family, Guardian
from models.outbox import OutboundEmail
from models.planning import Activity, Booking, Closure, Enrollment
from models.requests import Request, RequestLine
from models.town import Town
from models.user import User, UserSession

__all__ = [
    "Activity", "Attendance", "AuditEvent", "Booking", "Child", "Closure", "Enrollment", "Family",
    "Guardian", "OutboundEmail", "Request", "RequestLine", "Town", "User", "UserSession",
]
