"""Models and the domain rules that belong to them. No Flask request code here."""
from models.accessibility import AccessibilityStatement
from models.attendance import Attendance
from models.audit import AuditEvent
from models.billing import (
    BillingSettings,
    DirectDebitBatch,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoicingRun,
    Payment,
    PaymentAllocation,
    QfBracket,
    Tariff,
)
from models.changes import ChangeRequest
from models.child_file import AuthorizationType, AuthorizedPerson, ChildAuthorization, HealthRecord
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
    "AccessibilityStatement",
    "Activity", "Attendance", "AuditEvent", "AuthorizationType", "AuthorizedPerson",
    "BillingSettings", "Booking", "ChangeRequest", "Child", "ChildAuthorization", "Closure",
    "ContactMessage", "ContactThread", "DirectDebitBatch", "Document", "Enrollment", "Family",
    "Guardian", "HealthRecord", "Invoice", "InvoiceCounter", "InvoiceLine", "InvoicingRun", "News",
    "OutboundEmail", "Payment", "PaymentAllocation", "QfBracket", "Request", "RequestLine",
    "RulesVersion", "StoredFile", "Tariff", "Town", "TownPage", "User", "UserSession",
]
