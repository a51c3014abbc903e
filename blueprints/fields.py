"""Form fields several areas share."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

WEEKDAY_CHOICES = [SelectChoice(str(number), label) for number, label in enumerate(
    [_l("Lundi"), _l("Mardi"), _l("Mercredi"), _l("Jeudi"), _l("Vendredi"), _l("Samedi"),
     _l("Dimanche")], start=1)]


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (several choices), rather than a multiple select."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DayField(DateField):
    """A date whose parse error says what to type, in the person's language."""

    def __init__(self, label=None, validators=None, invalid=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid or _l("Saisissez une date valide.")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(self.invalid)) from error
