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
from models.broadcasts import Broadcast, BroadcastRecipient
from models.changes import ChangeRequest
from models.child_file import AuthorizationType, AuthorizedPerson, ChildAuthorization, HealthRecord
from models.credit_notes import CorrectionRun, CreditNote, CreditNoteCounter, CreditNoteLine
from models.documents import Document
from models.email_batches import EmailBatch
from models.family import Child, Family, Guardian
from models.files import StoredFile
from models.illness import IllnessDeclaration
from models.info import RulesVersion, TownPage
from models.messages import ContactMessage, ContactThread
from models.news import News
from models.notifications import (
    CalendarFeed,
    DeadlineReminder,
    NotificationSetting,
    PushNotice,
    PushSubscription,
)
from models.online_payment import OnlineTransaction, OnlineTransactionItem, PaymentSettings
from models.outbox import OutboundEmail
from models.planning import Activity, Booking, Closure, Enrollment
from models.reenrollment import Campaign, ChildAnswer
from models.reference import ReferenceStamp
from models.reminders import InvoiceFollowUp
from models.requests import Request, RequestLine
from models.retention import RetentionSetting
from models.statements import StatementBatch
from models.town import Town
from models.user import User, UserSession

__all__ = [
    "AccessibilityStatement",
    "Activity", "Attendance", "AuditEvent", "AuthorizationType", "AuthorizedPerson",
    "BillingSettings", "Booking", "Broadcast", "BroadcastRecipient", "CalendarFeed", "Campaign",
    "ChangeRequest", "Child", "ChildAnswer", "ChildAuthorization", "Closure", "ContactMessage",
    "ContactThread", "CorrectionRun", "CreditNote", "CreditNoteCounter", "CreditNoteLine",
    "DeadlineReminder", "DirectDebitBatch", "Document", "EmailBatch", "Enrollment", "Family",
    "Guardian", "HealthRecord", "IllnessDeclaration",
    "Invoice", "InvoiceCounter", "InvoiceFollowUp", "InvoiceLine", "InvoicingRun", "News",
    "NotificationSetting",
    "OnlineTransaction", "OnlineTransactionItem", "OutboundEmail", "Payment",
    "PaymentAllocation", "PaymentSettings", "PushNotice", "PushSubscription", "QfBracket",
    "ReferenceStamp", "Request", "RequestLine",
    "RetentionSetting", "RulesVersion", "StatementBatch", "StoredFile", "Tariff", "Town",
    "TownPage", "User", "UserSession",
]
