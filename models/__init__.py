"""Models and the domain rules that belong to them. No Flask request code here."""
from models.audit import AuditEvent
from models.documents import Document
from models.family import Child, Family, Guardian
from models.files import StoredFile
from models.info import RulesVersion, TownPage
from models.messages import ContactMessage, ContactThread
from models.news import News
from models.outbox import OutboundEmail
from models.planning import Activity, Booking, Closure, Enrollment
from models.requests import Request, RequestLine
from models.town import Town
from models.user import User, UserSession

__all__ = [
    "Activity", "AuditEvent", "Booking", "Child", "Closure", "ContactMessage", "ContactThread",
    "Document", "Enrollment", "Family", "Guardian", "News", "OutboundEmail", "Request",
    "RequestLine", "RulesVersion", "StoredFile", "Town", "TownPage", "User", "UserSession",
]
