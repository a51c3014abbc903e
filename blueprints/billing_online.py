"""Pay online (reached from Espace facturation): the basket of unpaid invoices, the trip
to the town's payment backend (eopayment), the page the browser comes back to, and the
backend's server-to-server notification, which alone records the payment
(models/online_payment.py, jobs/online_payments.py).

The basket and return pages are for parents (bp); the notification comes without a
session or CSRF token, so it has a blueprint of its own (notify_bp). This module is an
area of its own: it imports nothing from blueprints/billing.py.
"""
import logging

import eopayment
from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from blueprints.common.fields import parse_french_decimal
from blueprints.common.pages import render_page
from extensions import csrf, db
from jobs.emails import external_url
from jobs.online_payments import receive_notification
from models.clock import paris_today as today
from models.db_tools import begin_write
from models.online_payment import (
    DUMMY,
    OnlinePaymentError,
    OnlineTransaction,
    PaymentSettings,
    backend_for,
    backend_origin,
    build_basket,
    open_invoices,
    request_payment,
    start_transaction,
)
from security import CONTENT_SECURITY_POLICY, never_stored, parent_required

LOGGER = logging.getLogger(__name__)
bp = Blueprint("billing_online", __name__, url_prefix="/facturation/paiement-en-ligne")
bp.before_request(parent_required)
bp.after_request(never_stored)  # invoices and payments: no cache keeps a copy
notify_bp = Blueprint("online_payment", __name__, url_prefix="/paiement-en-ligne")


def _settings_or_404():
    settings = PaymentSettings.current()
    if not settings.usable(current_app.config["PAYMENT_SIMULATOR"]):
        abort(404)
    return settings


def _backend(settings, reference):
    return backend_for(settings, current_app.config["SECRET_KEY"],
                       external_url("online_payment.returned", reference=reference),
                       external_url("online_payment.notify"))


def _wanted(settings):
    """{invoice_id: amount or None} from the checked boxes (and typed amounts)."""
    wanted = {}
    for raw in request.form.getlist("invoice"):
        if not raw.isdigit():
            raise OnlinePaymentError(_("Cette facture n'est plus à payer."))
        amount = None
        typed = request.form.get(f"amount-{raw}", "").strip()
        if settings.partial_allowed and typed:
            try:
                amount = parse_french_decimal(typed, unit="€")
            except ValueError:
                raise OnlinePaymentError(
                    _("Écrivez un montant en euros, par exemple 12,50.")) from None
        wanted[int(raw)] = amount
    return wanted


@bp.route("", methods=["GET", "POST"])
def basket():
    """Check invoices, see the total (step "review"), then pay it (step "pay")."""
    settings = _settings_or_404()
    family = current_user.family
    form = FlaskForm()  # the CSRF token only
    error = basket = total = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            basket, total = build_basket(family.id, _wanted(settings), settings)
            if request.form.get("step") == "pay":
                return _send_to_backend(settings, family, basket, total)
        except OnlinePaymentError as problem:
            db.session.rollback()
            error, basket = str(problem), None
    page = make_response(render_page(
        "billing/online_basket.html", form=form, settings=settings,
        invoices=open_invoices(family.id), today=today(), error=error, basket=basket,
        total=total, checked=request.form.getlist("invoice")), 422 if error else 200)
    return _allowing_the_backend(page, settings)


def _allowing_the_backend(response, settings):
    """The basket's "Payer" form is answered by a redirect to the backend, SystemPay's
    page posts a form to it: CSP form-action must allow its origin, and only it."""
    origin = backend_origin(settings)
    if origin:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    return response


def _send_to_backend(settings, family, basket, total):
    transaction = start_transaction(family, current_user, basket, total, settings.backend)
    backend = _backend(settings, transaction.reference)
    subject = _("Portail Famille, factures %(numbers)s",
                numbers=", ".join(invoice.number for invoice, _amount in basket))
    try:
        kind, data = request_payment(backend, transaction, subject)
    except (eopayment.PaymentException, ValueError) as failure:
        LOGGER.warning("online payment request failed: %s", failure)
        raise OnlinePaymentError(_("Le service de paiement ne répond pas : réessayez dans "
                                   "quelques minutes.")) from failure
    db.session.commit()
    if kind == eopayment.FORM:
        return _allowing_the_backend(make_response(render_template(
            "billing/online_form.html", form=data, transaction=transaction)), settings)
    if settings.backend == DUMMY:
        data = _to_simulator(data)
    return redirect(data)


def _to_simulator(url):
    """eopayment's dummy backend always points at Entr'ouvert's public service; the
    portal's development simulator plays it instead (absent in production)."""
    from eopayment.dummy import SERVICE_URL

    query = url[len(SERVICE_URL):].lstrip("?") if url.startswith(SERVICE_URL) else ""
    return url_for("payment_simulator.pay") + "?" + query


def _own_transaction(reference):
    transaction = OnlineTransaction.by_reference(reference)
    if transaction is None or transaction.family_id != current_user.family.id:
        abort(404)
    return transaction


@notify_bp.route("/<reference>/retour", methods=["GET", "POST"])
@csrf.exempt
def returned(reference):
    """Where the backend sends the browser back, sometimes with a cross-site POST that
    carries no session cookie (SameSite=Lax): a 303 turns it into a GET, which does."""
    return redirect(url_for("billing_online.back", reference=reference), 303)


@bp.get("/<reference>")
def back(reference):
    """What the notification decided; while it has not come, the page waits for it."""
    transaction = _own_transaction(reference)
    return render_page("billing/online_return.html", block="state",
                       transaction=transaction)


@notify_bp.route("/notification", methods=["GET", "POST"])
@csrf.exempt
def notify():
    """The backend's server-to-server notification: verified, applied once."""
    settings = PaymentSettings.current()
    if not settings.backend:
        abort(404)
    query_string = request.query_string.decode() if request.method == "GET" else (
        request.get_data(as_text=True) or request.query_string.decode())
    begin_write()
    backend = backend_for(settings, current_app.config["SECRET_KEY"], "", "")
    try:
        _transaction, response = receive_notification(backend, settings.backend,
                                                      query_string)
    except OnlinePaymentError as refused:
        db.session.rollback()
        LOGGER.warning("online payment notification refused: %s", refused)
        return "refused", 400, {"Content-Type": "text/plain; charset=utf-8"}
    db.session.commit()
    return response.return_content or "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
