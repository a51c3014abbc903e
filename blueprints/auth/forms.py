"""Forms of the account pages. Labels and messages are French by default (Flask-Babel)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from blueprints.common.forms import CIVILITY_CHOICES, REQUIRED, email_field
from models.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from models.user import CIVILITIES

PASSWORD_PROBLEMS = {
    "too_short": _l("Le mot de passe doit comporter au moins %(min)s caractères.", min=MIN_LENGTH),
    "too_long": _l("Le mot de passe ne peut pas dépasser %(max)s caractères.", max=MAX_LENGTH),
    "common": _l("Ce mot de passe est trop courant. Choisissez-en un autre : une phrase de "
                 "quelques mots est facile à retenir et difficile à deviner."),
    "like_email": _l("Le mot de passe ne doit pas reprendre votre adresse email."),
}


class NewPassword:
    """A password someone chooses: length and not among the most common ones."""

    def __init__(self, email_field_name=None):
        self.email_field_name = email_field_name

    def __call__(self, form, field):
        email = form[self.email_field_name].data if self.email_field_name else ""
        problem = password_problem(field.data or "", email or "")
        if problem:
            raise ValidationError(PASSWORD_PROBLEMS[problem])


def new_password_fields(email_field_name=None):
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(REQUIRED), NewPassword(email_field_name)],
        description=_l("Au moins %(min)s caractères. Une phrase de quelques mots convient "
                       "très bien.", min=MIN_LENGTH),
        render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH},
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[DataRequired(REQUIRED),
                    EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Rester connecté sur cet appareil (30 jours)"))


class RegisterForm(FlaskForm):
    civility = RadioField(_l("Civilité"), choices=CIVILITY_CHOICES,
                          validators=[InputRequired(_l("Choisissez une civilité."))])
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)],
                            render_kw={"autocomplete": "family-name"})
    email = email_field()
    password, password_confirm = new_password_fields("email")
    subscriber_code = StringField(
        _l("Code abonné"), validators=[DataRequired(REQUIRED), Length(max=40)],
        description=_l("Il figure sur le courrier remis par le service enfance, "
                       "par exemple PF-7K3M9-X2Q4P."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )

    def validate_civility(self, field):
        if field.data not in CIVILITIES:
            raise ValidationError(_l("Choisissez une civilité."))


class EmailOnlyForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mot de passe actuel"),
                                     validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password"})
    password, password_confirm = new_password_fields()


class ChangeEmailForm(FlaskForm):
    new_email = email_field(_l("Nouvelle adresse email"))
    # Its own id: the password form on the same page (/compte) has a current_password too.
    current_password = PasswordField(_l("Mot de passe actuel"), id="email_current_password",
                                     validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password"})


class LanguageForm(FlaskForm):
    lang = StringField(validators=[DataRequired()])
