"""Development-only pages: the mailbox of the local SMTP sink (see cli.py mailsink),
and the payment simulator.

The mailbox is registered only when PORTAIL_ENV=development, so a person trying the
portal can open the confirmation email and click its link. The payment simulator is
registered when PAYMENT_SIMULATOR is on (development and testing, never production).
"""
import os
from email import policy
from email.parser import BytesParser
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_wtf import FlaskForm

from extensions import db
from models.online_payment import simulator_fields

bp = Blueprint("dev", __name__, url_prefix="/dev")


def _messages():
    folder = current_app.config["MAIL_SINK_DIR"]
    if not folder or not os.path.isdir(folder):
        return []
    names = sorted((n for n in os.listdir(folder) if n.endswith(".eml")), reverse=True)
    return names[:200]


def _read(name):
    path = os.path.join(current_app.config["MAIL_SINK_DIR"], name)
    with open(path, "rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    text = message.get_body(preferencelist=("plain",))
    return {
        "name": name,
        "to": message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "text": text.get_content() if text else "",
    }


@bp.get("/boite-mail")
def mailbox():
    return render_template("dev/mailbox.html", messages=[_read(n) for n in _messages()[:50]])


@bp.get("/boite-mail/<name>")
def message(name):
    if name not in _messages():
        abort(404)
    return render_template("dev/message.html", message=_read(name))


# -- The payment simulator -------------------------------------------------------------
# eopayment's dummy backend sends the browser to Entr'ouvert's public dummy service,
# which no machine here reaches. This page plays that service in development and tests
# (PAYMENT_SIMULATOR; never in production): it shows the amount, lets the person pay,
# refuse or abandon, posts the notification to the portal server to server, the way
# eopayment's dummy response() reads it (signed with the portal's key, see
# models/online_payment.simulator_signature), then sends the browser back.
simulator_bp = Blueprint("payment_simulator", __name__, url_prefix="/dev/paiement")
OUTCOMES = {"ok": "Paiement accepté", "refused": "Paiement refusé",
            "cancelled": "Paiement abandonné"}


def _same_host(url):
    """The path and query of a portal URL (built from PUBLIC_URL), on the host this
    request came to: the simulator works under any address the portal is served at."""
    parts = urlsplit(url or "")
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


@simulator_bp.get("/")
def pay():
    return render_template("dev/payment_simulator.html", query=request.args,
                           form=FlaskForm(), outcomes=OUTCOMES)


@simulator_bp.post("/")
def decide():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = request.form.get("outcome")
    transaction_id = request.form.get("transaction_id", "")
    amount = request.form.get("amount", "")
    if outcome not in OUTCOMES or not transaction_id:
        abort(400)
    fields = simulator_fields(current_app.config["SECRET_KEY"], transaction_id, amount,
                              outcome)
    # This request holds SQLite's write lock (a POST): let it go before the portal's
    # notification, served by another thread, needs it.
    db.session.rollback()
    notify_url = request.host_url.rstrip("/") + _same_host(
        request.form.get("direct_notification_url"))
    post = Request(notify_url, data=urlencode(fields).encode(), method="POST")  # noqa: S310
    try:
        # Always http(s): the host is the one this request came to.
        with urlopen(post, timeout=30) as answer:  # noqa: S310
            answer.read()
    except (HTTPError, URLError) as failure:
        current_app.logger.warning("simulator notification failed: %s", failure)
    return redirect(_same_host(request.form.get("return_url")))
