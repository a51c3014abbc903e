"""Form fields several areas share."""
import re
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field, SelectChoice, SelectMultipleField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from models.clock import paris_today

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


# -- Birth dates ---------------------------------------------------------------------------

# The service looks after children and young people: someone born more than this long
# ago is not a child of the file (year 0001 or 1800 is a slip of the keyboard).
CHILD_MAX_AGE = relativedelta(years=25)
GUARDIAN_BORN_FROM = date(1900, 1, 1)
FUTURE_BIRTH = _l("La date de naissance ne peut pas être dans le futur.")


def child_birth_date(_form, field):
    """A child's birth date: not in the future, at most 25 years ago."""
    today = paris_today()
    if field.data and field.data > today:
        raise ValidationError(FUTURE_BIRTH)
    if field.data and field.data < today - CHILD_MAX_AGE:
        raise ValidationError(_l("Vérifiez l'année : un enfant inscrit au service a moins de "
                                 "25 ans."))


def guardian_birth_date(_form, field):
    """A guardian's birth date: not in the future, not before 1900."""
    if field.data and field.data > paris_today():
        raise ValidationError(FUTURE_BIRTH)
    if field.data and field.data < GUARDIAN_BORN_FROM:
        raise ValidationError(_l("Vérifiez l'année : la date de naissance ne peut pas être "
                                 "avant 1900."))


# -- Decimals and amounts as people type them in French -----------------------------------

# "5,00", "5.5", "1 250", "1 250,50", ",50": one decimal mark (comma or point) followed by
# one or two digits; spaces only between groups of three digits. Anything else is refused
# rather than guessed: "12,345" could be 12,35 or 12 345 (an English thousands separator),
# and a browser's number field silently turned "5,00" into 500.
_NUMBER = re.compile(r"^(?P<sign>-?)(?P<units>[0-9]{1,3}(?: [0-9]{3})+|[0-9]*)"
                     r"(?:[.,](?P<cents>[0-9]{0,2}))?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
AMBIGUOUS = _l("« %(value)s » peut se lire de deux façons : écrivez au plus deux chiffres "
               "après la virgule (12,34) et séparez les milliers par une espace (1 234,50).")


class FrenchNumberError(ValueError):
    """Not a decimal as French people write one; `ambiguous` when it could be read two
    ways (a thousands separator, or more than two decimals)."""

    def __init__(self, raw, ambiguous=False):
        super().__init__(raw)
        self.ambiguous = ambiguous


def parse_french_decimal(raw, unit=""):
    """'5,00' -> Decimal('5.00'); '1 234,5 €' -> Decimal('1234.5'); '' -> None.

    Raises FrenchNumberError for anything else, with `ambiguous` set for '12,345',
    '1.234,5', '1,234.50' and the like. `unit` ('€', '%') may follow the number."""
    text = _SPACES.sub(" ", raw or "").strip()
    if unit and text.endswith(unit):
        text = text[:-len(unit)].rstrip()
    if not text:
        return None
    found = _NUMBER.match(text)
    if found is None or not (found["units"] or found["cents"]):
        raise FrenchNumberError(raw, ambiguous=_looks_like_another_notation(text))
    units = (found["units"] or "0").replace(" ", "")
    return Decimal(f"{found['sign']}{units}.{found['cents'] or '0'}")


def _looks_like_another_notation(text):
    """Digits with several marks ('1.234,5') or three decimals or more ('12,345')."""
    if not re.fullmatch(r"-?[0-9 .,]+", text):
        return False
    after_last_mark = re.search(r"[.,]([0-9]*)$", text)
    return len(re.findall(r"[.,]", text)) > 1 or bool(
        after_last_mark and len(after_last_mark[1]) > 2)


class FrenchDecimalField(Field):
    """A decimal typed in French ('12,50', '12.5', '1 250'), two decimals at most, in a
    text input with a decimal keypad (a number input rewrites what people type).
    `invalid` says what to type; ambiguous input gets its own message."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, invalid=None, unit="", **kwargs):
        self.unit = unit
        render_kw = {"inputmode": "decimal", "autocomplete": "off",
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.invalid = invalid or _l("Saisissez un nombre avec au plus deux chiffres après "
                                     "la virgule, par exemple 12,50.")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return french_decimal(self.data)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # what was typed is not a number: say only that

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_french_decimal(valuelist[0], unit=self.unit)
        except FrenchNumberError as error:
            self.data = None
            message = AMBIGUOUS % {"value": valuelist[0].strip()} if error.ambiguous else str(
                self.invalid)
            raise ValueError(message) from error


class EurosField(FrenchDecimalField):
    """An amount in euros: '12,50', '12.5', '1 250 €'."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("unit", "€")
        kwargs.setdefault("invalid", _l("Saisissez un montant en euros avec au plus deux "
                                        "chiffres après la virgule, par exemple 12,50."))
        super().__init__(label, validators, **kwargs)


def french_decimal(value):
    """Decimal('1234.5') -> '1234,50', as it is typed back into a field."""
    if value is None:
        return ""
    return f"{Decimal(value):.2f}".replace(".", ",")
