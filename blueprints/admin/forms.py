"""Forms of the staff area."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from blueprints.auth.forms import CIVILITY_CHOICES, EMAIL_INVALID, REQUIRED
from blueprints.fields import DayField


def not_in_future(_form, field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("La date de naissance ne peut pas être dans le futur."))


class GuardianForm(FlaskForm):
    civility = RadioField(_l("Civilité"), choices=CIVILITY_CHOICES,
                          validators=[DataRequired(_l("Choisissez une civilité."))])
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    email = EmailField(_l("Adresse email"),
                       validators=[Optional(), Length(max=254), Email(EMAIL_INVALID)])
    mobile_phone = StringField(_l("Téléphone portable"), validators=[Optional(), Length(max=30)])


class FamilyForm(GuardianForm):
    """A new family file with its first guardian; others and the children come after."""
    name = StringField(_l("Nom du dossier"), validators=[DataRequired(REQUIRED), Length(max=120)],
                       description=_l("En général le nom de famille, par exemple MARTIN."))
    address_line = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Code postal"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("Commune"), validators=[Optional(), Length(max=120)])


class ChildForm(FlaskForm):
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    birth_date = DayField(_l("Date de naissance"),
                           validators=[DataRequired(_l("Saisissez une date valide.")),
                                       not_in_future])
    sex = SelectField(_l("Sexe"), choices=[SelectChoice("F", _l("Fille")),
                                           SelectChoice("M", _l("Garçon"))])
    school = StringField(_l("École"), validators=[Optional(), Length(max=120)])
    class_name = StringField(_l("Classe"), validators=[Optional(), Length(max=40)],
                             description=_l("Par exemple CP, CE2, MS."))


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""
