"""Online payments: what follows a notification (the receipt email, once), and the
sweep's look at transactions never notified. PayFiP is asked again through its web
service after a while (a notification may be lost); past its backend's limit
(models/online_payment.EXPIRY) a transaction is marked expired, so the parent's page
and the staff list stop saying "en attente". A payment notified later still is recorded
all the same: the money was taken."""
import logging

import eopayment
from flask import current_app
from flask_babel import lazy_gettext as _l

from extensions import db
from jobs.emails import external_url, queue_email
from jobs.sweep import sweeper
from models.db_tools import begin_write
from models.online_payment import (
    PAYFIP,
    OnlinePaymentError,
    PaymentSettings,
    backend_for,
    expire_stale,
    handle_notification,
    recheck,
    to_recheck,
)

LOGGER = logging.getLogger(__name__)


def receive_notification(backend, backend_name, query_string):
    """Verify and apply a notification (the caller holds the write lock and commits);
    the first time it records the payment, the parent's receipt is queued."""
    transaction, response, paid_now = handle_notification(
        backend, backend_name, query_string, current_app.config["SECRET_KEY"])
    if paid_now:
        queue_receipt(transaction)
    return transaction, response


def queue_receipt(transaction):
    user = transaction.user
    if user is None or not transaction.email:
        return
    queue_email(transaction.email, "online_payment_receipt",
                _l("Reçu de votre paiement en ligne"),
                dedupe_key=f"online-payment-{transaction.id}-receipt", user=user,
                transaction=transaction, paid_at=transaction.finished_at,
                billing_url=external_url("billing.index"))


def recheck_waiting(now, backend):
    """Ask the backend again about each transaction still waiting; how many it
    settled (paid, refused, cancelled or expired by the backend's own word)."""
    settled = 0
    for transaction in to_recheck(now, [PAYFIP]):
        begin_write()
        try:
            paid_now = recheck(backend, transaction)
        except (OnlinePaymentError, eopayment.PaymentException) as problem:
            db.session.rollback()
            LOGGER.warning("online payment %s not checked: %s", transaction.reference, problem)
            continue
        if paid_now:
            queue_receipt(transaction)
        settled += transaction.state != "created"
        db.session.commit()
    return settled


@sweeper
def expire_online_transactions(now):
    settings = PaymentSettings.current()
    if settings.backend == PAYFIP:
        recheck_waiting(now, backend_for(settings, current_app.config["SECRET_KEY"], "", ""))
    begin_write()
    expired = expire_stale(now)
    db.session.commit()
    return expired
