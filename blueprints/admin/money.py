"""Who may touch money in the staff area: the régisseur (billing role) and admins.
Agents see invoices and payments but get 403 on every action that moves money
(invoicing, recording or cancelling a payment, credit notes, SEPA files)."""
from functools import wraps

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.auth.forms import REQUIRED


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


__all__ = ["REQUIRED", "ReasonForm", "money_only", "money_only_on_post", "require_money_role"]
