"""Online payment of invoices through eopayment (PayFiP, SystemPay, the dummy backend).

A parent puts unpaid invoices in a basket; an OnlineTransaction keeps what was asked
(its reference, the amount of each invoice, the total) and is sent to the town's
backend. The backend's server-to-server notification is the truth: `handle_notification`
verifies it (signature, or a call back to the backend for PayFiP), checks the reference
and the amount, and records one Payment (method "online") however many times it comes.
The browser's return only shows what the notification decided.

eopayment is AGPL-3.0 (see the README's licence section).
"""
import base64
import hashlib
import hmac
import json
import logging
import secrets
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlencode, urlsplit

import eopayment
import eopayment.payfip_ws
import eopayment.systempayv2
from Cryptodome.Cipher import AES
from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.billing import (
    MONEY,
    ONLINE,
    ZERO,
    Invoice,
    Payment,
    PaymentAllocation,
    lock_families,
    money,
    record_payment,
)
from models.clock import paris_today, utcnow
from models.db_tools import dialect_name

LOGGER = logging.getLogger(__name__)

CREATED = "created"
PAID = "paid"
REFUSED = "refused"
CANCELLED = "cancelled"
EXPIRED = "expired"
STATES = (CREATED, PAID, REFUSED, CANCELLED, EXPIRED)

DUMMY = eopayment.DUMMY
PAYFIP = eopayment.PAYFIP_WS
SYSTEMPAY = eopayment.SYSTEMPAY
BACKENDS = (PAYFIP, SYSTEMPAY, DUMMY)

# The parameters an admin sets for each backend (the URLs come from PUBLIC_URL). The
# secret ones are sealed (AES-GCM, key out of the database) and never shown back.
BACKEND_PARAMETERS = {
    PAYFIP: (("numcli", False), ("saisie", False)),
    SYSTEMPAY: (("vads_site_id", False), ("vads_ctx_mode", False), ("signature_algo", False),
                ("secret_test", True), ("secret_production", True)),
    DUMMY: (("origin", False),),
}
# How long the backend may take to notify a payment before it is given up as expired:
# a PayFiP idop lives 15 minutes, eopayment waits 2 hours before calling it expired.
EXPIRY = {PAYFIP: timedelta(minutes=120),  # payfip_ws.Payment.P5_WAITING_IN_MINUTES
          SYSTEMPAY: timedelta(hours=1), DUMMY: timedelta(hours=1)}
REFERENCE_ALPHABET = string.ascii_uppercase + string.digits
MASK = "••••••"


class OnlinePaymentError(Exception):
    """A basket that cannot be paid, or a notification that is refused: the message
    says why, in French (lazy strings from the caller's words)."""


# -- Settings ------------------------------------------------------------------------------

def _cipher_key(app_secret):
    return hashlib.sha256(b"online-payment-secrets:" + app_secret.encode()).digest()


def seal(values, app_secret):
    """Encrypt a dict of secrets: a database dump does not give them."""
    if not values:
        return ""
    cipher = AES.new(_cipher_key(app_secret), AES.MODE_GCM)
    data, tag = cipher.encrypt_and_digest(json.dumps(values).encode())
    return base64.b64encode(cipher.nonce + tag + data).decode()


def unseal(sealed, app_secret):
    if not sealed:
        return {}
    raw = base64.b64decode(sealed)
    cipher = AES.new(_cipher_key(app_secret), AES.MODE_GCM, nonce=raw[:16])
    return json.loads(cipher.decrypt_and_verify(raw[32:], raw[16:32]))


class PaymentSettings(db.Model):
    """The town's online payment (one row): backend, its parameters, the rules."""
    __tablename__ = "online_payment_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    backend: Mapped[str] = mapped_column(String(20), default="")
    # Non-secret parameters as JSON; the secret ones sealed, never exported in clear.
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")
    minimum_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("1.00"))
    partial_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)

    @classmethod
    def current(cls):
        row = db.session.scalars(select(cls).order_by(cls.id).limit(1)).first()
        if row is None:
            row = cls(enabled=False, backend="", parameters="{}", sealed_secrets="",
                      minimum_amount=Decimal("1.00"), partial_allowed=False)
        return row

    @property
    def active(self):
        return bool(self.enabled and self.backend)

    def usable(self, simulator):
        """Parents may pay online: enabled, and the dummy backend only where the
        development simulator exists."""
        return self.active and (self.backend != DUMMY or simulator)

    def public_parameters(self):
        return json.loads(self.parameters or "{}")

    def masked_parameters(self, app_secret):
        """What the settings page shows: secrets as a mask when they are set."""
        shown = self.public_parameters()
        for name in unseal(self.sealed_secrets, app_secret):
            shown[name] = MASK
        return shown

    def secret_names(self, app_secret):
        return set(unseal(self.sealed_secrets, app_secret))

    def export(self):
        """The settings as a data export gives them: the secrets are left out."""
        return {"enabled": self.enabled, "backend": self.backend,
                "parameters": self.public_parameters(),
                "minimum_amount": str(self.minimum_amount),
                "partial_allowed": self.partial_allowed}

    def options(self, app_secret):
        """Every parameter, secrets included, for eopayment."""
        return {**self.public_parameters(), **unseal(self.sealed_secrets, app_secret)}

    def update(self, backend, values, app_secret, enabled, minimum_amount, partial_allowed):
        """Save the settings; a secret left blank (or as its mask) keeps its value."""
        kept = unseal(self.sealed_secrets, app_secret) if backend == self.backend else {}
        public, hidden = {}, {}
        for name, secret in BACKEND_PARAMETERS[backend]:
            value = (values.get(name) or "").strip()
            if secret:
                if value in ("", MASK):
                    value = kept.get(name, "")
                if value:
                    hidden[name] = value
            elif value:
                public[name] = value
        self.backend = backend
        self.parameters = json.dumps(public, sort_keys=True)
        self.sealed_secrets = seal(hidden, app_secret)
        self.enabled = enabled
        self.minimum_amount = money(minimum_amount)
        self.partial_allowed = partial_allowed
        self.updated_at = utcnow()
        if self.id is None:
            db.session.add(self)


# What a backend cannot work without (the URLs come from PUBLIC_URL).
REQUIRED_PARAMETERS = {PAYFIP: ("numcli",), SYSTEMPAY: ("vads_site_id", "secret_test"),
                       DUMMY: ()}


def missing_parameters(backend, values, stored_secrets):
    """Names of the required parameters left blank (a stored secret counts as given)."""
    return [name for name in REQUIRED_PARAMETERS[backend]
            if not (values.get(name) or "").strip() and name not in stored_secrets]


def invalid_parameters(backend, values):
    """Names of the parameters eopayment's own validation refuses."""
    checks = {p["name"]: p.get("validation")
              for p in eopayment.get_backend(backend).description["parameters"]}
    wrong = []
    for name, _secret in BACKEND_PARAMETERS[backend]:
        value = (values.get(name) or "").strip()
        check = checks.get(name)
        if value and value != MASK and check is not None and not check(value):
            wrong.append(name)
    return wrong


# -- Transactions --------------------------------------------------------------------------

class OnlineTransaction(db.Model):
    """One payment asked of the backend for a basket of a family's invoices."""
    __tablename__ = "online_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Ours, given to the backend (PayFiP refdet, SystemPay order id): [A-Z0-9], 18 chars.
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), default="")
    total: Mapped[Decimal] = mapped_column(MONEY)
    backend: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default=CREATED, index=True)
    # The backend's id (dummy uuid, PayFiP idop, SystemPay trans id), found in notifications.
    backend_transaction_id: Mapped[str] = mapped_column(String(120), default="", index=True)
    bank_status: Mapped[str] = mapped_column(String(300), default="")
    # The last notification's data, kept for audit (never card numbers: backends do not
    # send them).
    bank_data: Mapped[str] = mapped_column(Text, default="")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id",
                                                              ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    family = relationship("Family")
    user = relationship("User")
    payment = relationship("Payment")
    items = relationship("OnlineTransactionItem", back_populates="transaction",
                         cascade="all, delete-orphan", order_by="OnlineTransactionItem.id")

    @classmethod
    def by_reference(cls, reference):
        return db.session.scalar(select(cls).where(cls.reference == reference)
                                 .options(selectinload(cls.items)))

    @classmethod
    def recent(cls, state=None, limit=200):
        query = select(cls).order_by(cls.id.desc()).limit(limit).options(
            selectinload(cls.family), selectinload(cls.items).selectinload(
                OnlineTransactionItem.invoice))
        if state:
            query = query.where(cls.state == state)
        return db.session.scalars(query).all()


    @classmethod
    def summary(cls):
        """{state: (how many, their total)}; summed in Decimal here, not by SQLite."""
        found = {}
        for state, total in db.session.execute(select(cls.state, cls.total)):
            count, amount = found.get(state, (0, ZERO))
            found[state] = (count + 1, amount + total)
        return found


class OnlineTransactionItem(db.Model):
    """An invoice in the basket and the amount paid on it."""
    __tablename__ = "online_transaction_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("online_transactions.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(MONEY)

    transaction = relationship("OnlineTransaction", back_populates="items")
    invoice = relationship("Invoice")


def new_reference():
    """'PF' + the Paris date + 8 random characters: fits PayFiP's refdet
    ([A-Za-z0-9]{1,30}) and SystemPay's order id (32 characters at most)."""
    random_part = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"PF{paris_today():%Y%m%d}{random_part}"


def open_invoices(family_id):
    return db.session.scalars(select(Invoice).where(
        Invoice.family_id == family_id, Invoice.amount_paid < Invoice.total)
        .order_by(Invoice.month, Invoice.id)).all()


def build_basket(family_id, wanted, settings):
    """[(invoice, amount)] from {invoice_id: amount or None (the whole balance)}.
    Raises OnlinePaymentError with the reason a parent reads."""
    from flask_babel import format_currency
    from flask_babel import lazy_gettext as _l

    invoices = {i.id: i for i in open_invoices(family_id)}
    if not wanted:
        raise OnlinePaymentError(_l("Choisissez au moins une facture à payer."))
    basket = []
    for invoice_id, amount in wanted.items():
        invoice = invoices.get(invoice_id)
        if invoice is None:
            raise OnlinePaymentError(_l("Cette facture n'est plus à payer."))
        if amount is None or not settings.partial_allowed:
            amount = invoice.balance
        if amount <= 0 or amount > invoice.balance:
            raise OnlinePaymentError(_l(
                "Le montant payé sur une facture doit être positif et au plus ce qu'il "
                "reste à payer."))
        basket.append((invoice, money(amount)))
    total = sum((amount for _invoice, amount in basket), ZERO)
    if total < settings.minimum_amount:
        raise OnlinePaymentError(_l("Le paiement en ligne commence à %(amount)s.",
                                    amount=format_currency(settings.minimum_amount, "EUR")))
    return basket, total


def start_transaction(family, user, basket, total, backend):
    transaction = OnlineTransaction(reference=new_reference(), family_id=family.id,
                                    user_id=user.id if user else None,
                                    email=user.email if user else "", total=total,
                                    backend=backend, state=CREATED)
    transaction.items = [OnlineTransactionItem(invoice_id=invoice.id, amount=amount)
                         for invoice, amount in basket]
    db.session.add(transaction)
    db.session.flush()
    return transaction


def backend_for(settings, app_secret, return_url, notify_url):
    options = settings.options(app_secret)
    options.update(normal_return_url=return_url, automatic_return_url=notify_url)
    return eopayment.Payment(settings.backend, options, logger=LOGGER)


def backend_origin(settings):
    """The origin the browser is sent to for paying (None: the portal's own, the
    simulator): the pages sending it there must allow it in their CSP form-action."""
    if settings.backend == PAYFIP:
        url = eopayment.payfip_ws.PAYMENT_URL
    elif settings.backend == SYSTEMPAY:
        url = (settings.public_parameters().get("service_url")
               or eopayment.systempayv2.Payment.service_url)
    else:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def request_payment(backend, transaction, subject):
    """Ask the backend for the payment: (kind, data) to send the browser, URL or FORM.
    PayFiP calls its web service here (to get an idop)."""
    kwargs = {"email": transaction.email, "subject": subject}
    if transaction.backend == PAYFIP:
        kwargs.update(refdet=transaction.reference, exer=str(paris_today().year))
    elif transaction.backend == SYSTEMPAY:
        # SystemPay takes only vads_* fields: the subject goes in vads_order_info.
        kwargs.update(orderid=transaction.reference, transaction_id=transaction.reference,
                      info1=kwargs.pop("subject"))
    else:
        kwargs.update(orderid=transaction.reference)
    backend_id, kind, data = backend.request(transaction.total, **kwargs)
    transaction.backend_transaction_id = str(backend_id)
    return kind, data


# -- Notifications -------------------------------------------------------------------------

def simulator_signature(app_secret, transaction_id, amount, outcome):
    """The development simulator signs what it posts (the dummy backend checks nothing,
    so without it anybody could post "ok")."""
    message = f"{transaction_id}|{amount}|{outcome}".encode()
    key = hashlib.sha256(b"payment-simulator:" + app_secret.encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def simulator_fields(app_secret, transaction_id, amount, outcome):
    """What the simulator posts for an outcome (ok, refused, cancelled): the fields
    eopayment's dummy response() reads, and the simulator's signature."""
    fields = {"transaction_id": transaction_id, "amount": amount, "signed": "1",
              "portal_signature": simulator_signature(app_secret, transaction_id, amount,
                                                      outcome)}
    if outcome == "ok":
        fields["ok"] = "1"
    else:
        fields["reason"] = outcome
    return fields


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def notified_amount(backend, bank_data):
    """The amount the backend says was paid, as Decimal euros (None when absent)."""
    try:
        if backend == DUMMY:
            raw = _first(bank_data.get("amount"))
            return money(raw) if raw not in (None, "") else None
        raw = _first(bank_data.get("vads_amount" if backend == SYSTEMPAY else "montant"))
        return money(Decimal(str(raw)) / 100) if raw not in (None, "") else None
    except (InvalidOperation, ValueError, TypeError):
        return None


def notified_reference(backend, bank_data):
    """Our reference as the backend gives it back (None when it does not)."""
    key = {SYSTEMPAY: "vads_order_id", PAYFIP: "refdet"}.get(backend)
    value = _first(bank_data.get(key)) if key else None
    return str(value) if value not in (None, "") else None


def _dummy_outcome(response, bank_data):
    reason = _first(bank_data.get("reason")) or ""
    if response.result == eopayment.PAID:
        return "ok"
    return "cancelled" if reason == "cancelled" else "refused"


def _verified_dummy(response, bank_data, app_secret):
    outcome = _dummy_outcome(response, bank_data)
    expected = simulator_signature(app_secret, response.order_id,
                                   _first(bank_data.get("amount")) or "", outcome)
    given = _first(bank_data.get("portal_signature")) or ""
    return hmac.compare_digest(expected, given)


STATE_OF_RESULT = {eopayment.PAID: PAID, eopayment.ACCEPTED: PAID, eopayment.DENIED: REFUSED,
                   eopayment.CANCELLED: CANCELLED, eopayment.EXPIRED: EXPIRED,
                   eopayment.ERROR: REFUSED}


def _locked(transaction_id):
    query = select(OnlineTransaction).where(OnlineTransaction.id == transaction_id)
    if dialect_name() == "postgresql":
        query = query.with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def find_transaction(backend_name, order_id):
    return db.session.scalar(select(OnlineTransaction).where(
        OnlineTransaction.backend == backend_name,
        (OnlineTransaction.backend_transaction_id == order_id)
        | (OnlineTransaction.reference == order_id)))


def _normalized(backend_name, query_string):
    """PayFiP posts its notification as idOp=…, eopayment's response() reads idop."""
    if backend_name == PAYFIP:
        fields = parse_qs(query_string)
        if "idop" not in fields and fields.get("idOp"):
            return urlencode({"idop": fields["idOp"][0]})
    return query_string


def handle_notification(backend, backend_name, query_string, app_secret):
    """Verify a notification and apply it; the caller holds the write lock and commits.
    Returns (transaction, eopayment response, True when it recorded the payment now).
    Raises OnlinePaymentError when it is refused (forged, unknown, amount or reference
    not matching): nothing changes."""
    try:
        response = backend.response(_normalized(backend_name, query_string))
    except eopayment.PaymentException as error:
        raise OnlinePaymentError(f"unreadable notification: {error}") from error
    bank_data = response.bank_data or {}
    if not response.signed:
        raise OnlinePaymentError("notification not signed")
    if backend_name == DUMMY and not _verified_dummy(response, bank_data, app_secret):
        raise OnlinePaymentError("dummy notification without the simulator's signature")
    found = find_transaction(backend_name, response.order_id or "")
    if found is None:
        raise OnlinePaymentError(f"unknown transaction {response.order_id!r}")
    transaction = _locked(found.id)
    return transaction, response, settle(transaction, response)


def settle(transaction, response):
    """Apply what the backend says of a transaction (a notification, or the answer to
    asking it again); True when the payment was recorded now."""
    bank_data = response.bank_data or {}
    state = STATE_OF_RESULT.get(response.result)
    if transaction.backend == DUMMY and state == REFUSED and _dummy_outcome(
            response, bank_data) == "cancelled":
        state = CANCELLED
    if state is None:  # waiting, received: nothing decided yet
        return False
    reference = notified_reference(transaction.backend, bank_data)
    if reference is not None and reference != transaction.reference:
        raise OnlinePaymentError(
            f"reference {reference!r} does not match {transaction.reference!r}")
    if state == PAID:
        amount = notified_amount(transaction.backend, bank_data)
        if amount != transaction.total:
            raise OnlinePaymentError(
                f"amount {amount} does not match {transaction.total} of "
                f"{transaction.reference}")
    return _apply(transaction, state, response, bank_data)


def _apply(transaction, state, response, bank_data):
    """Idempotent: a paid transaction stays paid with its one payment; a payment
    notified after a refusal or expiry is recorded all the same (the money was taken)."""
    if transaction.state == PAID:
        return False
    now = utcnow()
    transaction.notified_at = transaction.notified_at or now
    transaction.bank_status = str(response.bank_status or "")[:300]
    transaction.bank_data = json.dumps(bank_data, default=str, sort_keys=True)[:20000]
    if state != PAID:
        if transaction.state == CREATED:
            transaction.state = state
            transaction.finished_at = now
        return False
    transaction.state = PAID
    transaction.finished_at = now
    transaction.payment_id = record_online_payment(transaction).id
    return True


def record_online_payment(transaction):
    """The Payment of a paid basket, allocated to its invoices first."""
    from models.family import Family

    lock_families([transaction.family_id])
    family = db.session.get(Family, transaction.family_id)
    shares = [(item.invoice, item.amount) for item in transaction.items]
    return record_payment(family, transaction.total, ONLINE, paris_today(), None,
                          reference=transaction.reference, shares=shares)


# -- What pages show -----------------------------------------------------------------------

def online_references(family_id):
    """{invoice_id: [references of the online payments allocated to it]}."""
    rows = db.session.execute(
        select(PaymentAllocation.invoice_id, Payment.reference)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.family_id == family_id, Payment.method == ONLINE,
               Payment.cancelled_at.is_(None)).order_by(Payment.id))
    found = {}
    for invoice_id, reference in rows:
        found.setdefault(invoice_id, []).append(reference)
    return found


# -- Expiry --------------------------------------------------------------------------------

# A transaction not notified this long is asked again of a backend that can say
# (PayFiP's web service), in case its notification was lost.
RECHECK_AFTER = timedelta(minutes=20)


def to_recheck(now, backends):
    """Transactions still waiting, old enough to ask their backend again."""
    return db.session.scalars(select(OnlineTransaction).where(
        OnlineTransaction.state == CREATED, OnlineTransaction.backend.in_(backends),
        OnlineTransaction.backend_transaction_id != "",
        OnlineTransaction.created_at < now - RECHECK_AFTER)
        .order_by(OnlineTransaction.id)).all()


def recheck(backend, transaction):
    """Ask the backend where a transaction stands (PayFiP: the web service) and apply
    the answer like a notification; True when the payment was recorded now."""
    created = transaction.created_at.replace(tzinfo=UTC)
    response = backend.payment_status(transaction.backend_transaction_id,
                                      transaction_date=created)
    return settle(_locked(transaction.id), response)


def expire_stale(now):
    """Transactions never notified past their backend's limit are marked expired.
    Returns how many."""
    count = 0
    for transaction in db.session.scalars(select(OnlineTransaction).where(
            OnlineTransaction.state == CREATED,
            OnlineTransaction.created_at < now - min(EXPIRY.values()))):
        if transaction.created_at >= now - EXPIRY.get(transaction.backend, timedelta(hours=1)):
            continue
        transaction.state = EXPIRED
        transaction.finished_at = now
        transaction.bank_status = "expired: never notified"
        count += 1
    return count
