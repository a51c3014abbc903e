"""Models and the domain rules that belong to them. No Flask request code here."""
from models.attendance import Attendance
from models.audit import AuditEvent
from models.changes import ChangeRequest
from models.child_file import AuthorizationType, AuthorizedPerson, ChildAuthorization, HealthRecord
from models.family import Child, Family, Guardian
from models.outbox import OutboundEmail
from models.planning import Activity, Booking, Closure, Enrollment
from models.requests import Request, RequestLine
from models.town import Town
from models.user import User, UserSession

__all__ = [
    "Activity", "Attendance", "AuditEvent", "AuthorizationType", "AuthorizedPerson", "Booking",
    "ChangeRequest", "Child", "ChildAuthorization", "Closure", "Enrollment", "Family", "Guardian",
    "HealthRecord", "OutboundEmail", "Request", "RequestLine", "Town", "User", "UserSession",
]
