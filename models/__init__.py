"""Models and the domain rules that belong to them. No Flask request code here."""
from models.audit import AuditEvent
from models.changes import ChangeRequest
from models.child_file import AuthorizationType, AuthorizedPerson, ChildAuthorization, HealthRecord
from models.family import Child, Family, Guardian
from models.outbox import OutboundEmail
from models.town import Town
from models.user import User, UserSession

__all__ = [
    "AuditEvent", "AuthorizationType", "AuthorizedPerson", "ChangeRequest", "Child",
    "ChildAuthorization", "Family", "Guardian", "HealthRecord", "OutboundEmail", "Town", "User",
    "UserSession",
]
