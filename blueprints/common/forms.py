"""The form vocabulary every area speaks: required-field and email messages, civility,
the email field, the confirm button, the message box."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Email, Length

MESSAGE_MAX = 5000  # characters of a message to or from the service
REQUIRED = _l("Ce champ est obligatoire.")
CIVILITY_CHOICES = [SelectChoice("Mme", _l("Madame")), SelectChoice("M.", _l("Monsieur"))]
EMAIL_INVALID = _l("Saisissez une adresse email valide, par exemple prenom.nom@exemple.fr.")


EMAIL_LABEL = _l("Adresse email")


def email_field(label=EMAIL_LABEL):
    return EmailField(label, validators=[DataRequired(REQUIRED), Length(max=254),
                                         Email(EMAIL_INVALID)],
                      render_kw={"autocomplete": "email", "inputmode": "email"})


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Votre message"),
                         validators=[DataRequired(REQUIRED), Length(max=MESSAGE_MAX)],
                         render_kw={"rows": 6, "maxlength": MESSAGE_MAX})
