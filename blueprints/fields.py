"""Form fields several areas share."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, SelectChoice, SelectMultipleField
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


class FrenchDecimalField(DecimalField):
    """A decimal as people type it in French: '12,50', '12.5', '1 250'; two decimals at
    most. `invalid` says what to type."""

    def __init__(self, label=None, validators=None, invalid=None, **kwargs):
        kwargs.setdefault("places", 2)
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid or _l("Saisissez un nombre avec au plus deux chiffres après "
                                     "la virgule, par exemple 12,50.")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        cleaned = "".join(valuelist[0].replace("€", "").replace("%", "").split()).replace(
            ",", ".")
        if not cleaned:
            self.data = None
            return
        try:
            super().process_formdata([cleaned])
            if not self.data.is_finite() or self.data.as_tuple().exponent < -2:
                raise ValueError(cleaned)
        except ValueError as error:
            self.data = None
            raise ValueError(str(self.invalid)) from error


class EurosField(FrenchDecimalField):
    """An amount in euros: '12,50', '12.5', '1 250 €'."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid", _l("Saisissez un montant en euros avec au plus deux "
                                        "chiffres après la virgule, par exemple 12,50."))
        super().__init__(label, validators, **kwargs)
