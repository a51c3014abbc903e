"""Forms of the staff area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from blueprints.common.fields import DayField, child_birth_date
from blueprints.common.forms import CIVILITY_CHOICES, EMAIL_INVALID, REQUIRED


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
    # Ticked after the warning that a family with a guardian of that name exists.
    confirm_duplicate = BooleanField(_l("Ce n'est pas la même famille : créer le dossier"))


class ChildForm(FlaskForm):
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    birth_date = DayField(_l("Date de naissance"),
                           validators=[DataRequired(_l("Saisissez une date valide.")),
                                       child_birth_date])
    sex = SelectField(_l("Sexe"), choices=[SelectChoice("F", _l("Fille")),
                                           SelectChoice("M", _l("Garçon"))])
    school = StringField(_l("École"), validators=[Optional(), Length(max=120)])
    class_name = StringField(_l("Classe"), validators=[Optional(), Length(max=40)],
                             description=_l("Par exemple CP, CE2, MS."))
    # Ticked after the warning that another family has a child of that name and birth date.
    confirm_duplicate = BooleanField(_l("Ce n'est pas le même enfant : l'ajouter"))


class DecisionForm(FlaskForm):
    """Approve or reject one pending change of a family file."""
    comment = TextAreaField(_l("Commentaire pour la famille (facultatif)"),
                            validators=[Optional(), Length(max=1000)])
    decision = HiddenField(validators=[AnyOf(("approve", "reject"),
                                             message=_l("Choisissez Valider ou Refuser."))])


class RetentionForm(FlaskForm):
    months = IntegerField(_l("Durée de conservation du journal (en mois)"),
                          validators=[InputRequired(_l("Saisissez un nombre de mois.")),
                                      NumberRange(min=1, max=120, message=_l(
                                          "Choisissez une durée entre 1 et 120 mois."))],
                          description=_l("Les entrées plus anciennes sont effacées "
                                         "automatiquement."))


class AuthorizationTypeForm(FlaskForm):
    label = StringField(_l("Question posée aux familles"),
                        validators=[DataRequired(REQUIRED), Length(max=160)],
                        description=_l("Par exemple : Autorise la sortie à la piscine."))
    description = StringField(_l("Précision (facultatif)"),
                              validators=[Optional(), Length(max=300)])
