"""The planning's forms: a cell's button, and the long-period request."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from blueprints.common.fields import WEEKDAY_CHOICES, CheckboxesField, DayField
from models import Activity
from models.calendar import is_requestable
from models.clock import paris_today as today
from models.period import MAX_DAYS, PeriodAsk, never_enrolled
from models.planning import ABSENCE, ACTION_FOR_STATE, RESERVE

# The largest id a database integer column holds (PostgreSQL's integer): a bigger
# number in a form is no row of ours, and would overflow the query.
MAX_ID = 2 ** 31 - 1


def _in_range_day(form, field):
    if field.data and not is_requestable(field.data):
        raise ValidationError("day out of range")


class CellForm(FlaskForm):
    """What a cell's button sends: which cell, what the button said and in which state
    the cell was shown (the page may be stale: another guardian, another tab)."""
    enfant = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    activite = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    jour = DateField(validators=[InputRequired(), _in_range_day])
    action = StringField(validators=[InputRequired()])
    etat = StringField(validators=[InputRequired()])

    def validate_action(self, field):
        """Only a button some cell shows: its action for the state it was shown in."""
        if ACTION_FOR_STATE.get(self.etat.data) != field.data:
            raise ValidationError("no such button")



class WeekForm(FlaskForm):
    """« Toute la semaine »: reserve every free day of a week for one child and activity."""
    enfant = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    activite = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    semaine = DateField(validators=[InputRequired(), _in_range_day])


class UndoForm(FlaskForm):
    """« Annuler ma demande » / « Revenir en arrière »: which request to take back."""
    demande = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])


class PeriodForm(FlaskForm):
    action = RadioField(_l("Type de demande"), default=RESERVE, choices=[
        SelectChoice(RESERVE, _l("Réservations")), SelectChoice(ABSENCE, _l("Absences"))],
        validators=[InputRequired(_l("Choisissez réservations ou absences."))])
    children = CheckboxesField(_l("Enfants"), coerce=int, validate_choice=False,
                               validators=[DataRequired(_l("Choisissez au moins un enfant."))])
    activities = CheckboxesField(_l("Activités"), coerce=int, validate_choice=False,
                                 validators=[DataRequired(_l("Choisissez au moins une "
                                                             "activité."))])
    first_day = DayField(_l("Du"), invalid=_l("Saisissez une date de début valide."),
                         validators=[InputRequired(_l("Saisissez une date de début valide."))])
    last_day = DayField(_l("Au"), invalid=_l("Saisissez une date de fin valide."),
                        validators=[InputRequired(_l("Saisissez une date de fin valide."))])
    weekdays = CheckboxesField(_l("Jours de la semaine"), choices=WEEKDAY_CHOICES,
                               default=["1", "2", "4", "5"],
                               validators=[DataRequired(_l("Choisissez au moins un jour de la "
                                                           "semaine."))])
    client_token = HiddenField()
    # The fingerprint of the preview shown (rendered by the preview, not the form).
    apercu = HiddenField()

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.children.choices = [SelectChoice(c.id, c.first_name) for c in family.children]
        self.activities.choices = [SelectChoice(a.id, a.name) for a in Activity.ordered()]

    def validate_children(self, field):
        own = {c.id for c in self.family.children}
        if any(child_id not in own for child_id in field.data or []):
            raise ValidationError(_l("Cet enfant ne fait pas partie de votre famille."))

    def validate_activities(self, field):
        offered = {a.id for a in Activity.ordered()}
        if any(activity_id not in offered for activity_id in field.data or []):
            raise ValidationError(_l("Cette activité n'est pas proposée."))

    def validate_first_day(self, field):
        if field.data and field.data < today():
            raise ValidationError(_l("La date de début ne peut pas être passée."))

    def validate_last_day(self, field):
        first = self.first_day.data
        if first and field.data:
            if field.data < first:
                raise ValidationError(_l("La date de fin ne peut pas précéder la date de "
                                         "début."))
            if (field.data - first).days >= MAX_DAYS:
                raise ValidationError(_l("La période ne peut pas dépasser une année scolaire."))

    def ask(self):
        children = [c for c in self.family.children if c.id in set(self.children.data)]
        activities = [a for a in Activity.ordered() if a.id in set(self.activities.data)]
        return PeriodAsk(action=self.action.data, children=children, activities=activities,
                         first_day=self.first_day.data, last_day=self.last_day.data,
                         weekdays={int(d) for d in self.weekdays.data})

    def check_enrollments(self):
        """Refuse a child enrolled in none of the chosen activities, and an activity none
        of the chosen children is enrolled in. (Léa at the canteen and Hugo at the canteen
        and APS: Léa's APS is simply not asked, and the preview says so.)"""
        ask = self.ask()
        missing = set(never_enrolled(ask))
        for child in ask.children:
            if all((child, activity) in missing for activity in ask.activities):
                self.children.errors.append(_(
                    "%(child)s n'est inscrit(e) à aucune des activités choisies pour cette "
                    "période.", child=child.first_name))
        for activity in ask.activities:
            if all((child, activity) in missing for child in ask.children):
                self.activities.errors.append(_(
                    "Aucun des enfants choisis n'est inscrit à « %(activity)s » pour cette "
                    "période.", activity=activity.name))
        return not (self.children.errors or self.activities.errors)
