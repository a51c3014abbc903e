"""Models and the domain rules that belong to them. No Flask request code here."""
from models.audit import AuditEvent
from models.family import Child, Family, Guardian
from models.outbox import OutboundEmail
from models.town import Town
from models.user import User, UserSession

__all__ = [
    "AuditEvent", "Child", "Family", "Guardian", "OutboundEmail", "Town", "User", "UserSession",
]
