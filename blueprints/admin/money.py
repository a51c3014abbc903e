"""Who may touch money in the staff area: the régisseur (billing role) and admins.
Agents see invoices and payments but get 403 on every action that moves money
(invoicing, recording or cancelling a payment, credit notes, SEPA files)."""
from decimal import Decimal
from functools import wraps

from flask import abort, request
from flask_babel import format_currency
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length


def require_money_role():
    if not current_user.is_authenticated or not current_user.handles_money:
        abort(403)


def money_only(view):
    """Views that move money: régisseurs and admins only."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        require_money_role()
        return view(*args, **kwargs)

    return wrapped


def money_only_on_post(view):
    """A page agents may read whose form moves money."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST":
            require_money_role()
        return view(*args, **kwargs)

    return wrapped


class ReasonForm(FlaskForm):
    """A money action that must say why and be confirmed: cancelling a payment,
    cancelling an invoice by a credit note."""
    reason = StringField(_l("Motif"), validators=[
        DataRequired(_l("Indiquez le motif.")), Length(min=3, max=200, message=_l(
            "Le motif fait entre 3 et 200 caractères."))],
        description=_l("Par exemple : chèque rejeté par la banque, erreur de saisie."))
    confirm = BooleanField(_l("Je confirme"), validators=[DataRequired(
        _l("Cochez la case pour confirmer."))])
    next = HiddenField()


# The audit log's words for money actions (every one says who, and why when it matters).
MONEY_ACTIONS = {
    "statements.downloaded": _l("Attestations annuelles téléchargées"),
    "invoicing.started": _l("Facturation d'un mois lancée"),
    "payment.recorded": _l("Règlement enregistré"),
    "payment.cancelled": _l("Règlement annulé"),
    "direct_debit.created": _l("Fichier de prélèvement créé"),
    "direct_debit.downloaded": _l("Fichier de prélèvement téléchargé"),
    "corrections.requested": _l("Régularisations demandées"),
    "credit_note.issued": _l("Avoir émis"),
    "supplementary_invoice.issued": _l("Facture complémentaire émise"),
    "invoice.cancelled": _l("Facture annulée par un avoir"),
    "invoice.sent_to_treasury": _l("Facture transmise au Trésor public"),
    "statements.requested": _l("Attestations annuelles demandées"),
}


def describe_money(details):
    """The amount, the documents and the reason of a money action, in words."""
    parts = []
    for key in ("number", "invoice", "credit_note"):
        if details.get(key):
            parts.append(str(details[key]))
    if details.get("amount"):
        parts.append(format_currency(Decimal(details["amount"]), "EUR"))
    if details.get("reason"):
        parts.append(str(_l("motif : %(reason)s", reason=details["reason"])))
    return " · ".join(parts)
