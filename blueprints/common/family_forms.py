"""Forms of the family file, used by parents (Ma famille) and staff alike.

Each form reads and writes the file's values in their JSON form (see models/changes.py):
`initial_data()` turns values into form data, `file_values()` turns the posted form back
into values, so the view never needs to know a field's type.
"""
from datetime import date

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from blueprints.common.family_display import (
    AUTHORIZATION_LABELS,
    DIET_LABELS,
    FIELD_LABELS,
    SEX_LABELS,
    authorization_hint,
    field_label,
)
from blueprints.common.fields import child_birth_date, guardian_birth_date
from blueprints.common.forms import CIVILITY_CHOICES, EMAIL_INVALID, REQUIRED
from models.child_file import DIETS

# Numbers of metropolitan France first, then the overseas departments (0690…, 0262…).
PHONE_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM")
PHONE_INVALID = _l("Saisissez un numéro de téléphone français valide, par exemple "
                   "06 12 34 56 78.")
YES, NO = "oui", "non"
YES_NO = [SelectChoice(YES, _l("Oui")), SelectChoice(NO, _l("Non"))]
ANSWER_REQUIRED = _l("Répondez par oui ou par non.")

GUARDIAN = FIELD_LABELS["guardian"]
CHILD = FIELD_LABELS["child"]
FAMILY = FIELD_LABELS["family"]
HEALTH = FIELD_LABELS["health"]
CONTACT = FIELD_LABELS["contact"]


def french_phone(value):
    """'+33 6 12 34 56 78' -> '06 12 34 56 78'; None when it is not a French number."""
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number) and \
                phonenumbers.region_code_for_number(number) in PHONE_REGIONS:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return None


class FrenchPhone:
    """Accepts a French phone number in any usual spelling and stores it formatted."""

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.data = ""
            return
        formatted = french_phone(field.data)
        if formatted is None:
            raise ValidationError(PHONE_INVALID)
        field.data = formatted


def phone_field(label, required=False, description=None):
    validators = [DataRequired(REQUIRED)] if required else [Optional()]
    return StringField(label, validators=[*validators, Length(max=30), FrenchPhone()],
                       description=description,
                       render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"})


def text_field(label, required=False, max_length=120, **kwargs):
    validators = [DataRequired(REQUIRED)] if required else [Optional()]
    return StringField(label, validators=[*validators, Length(max=max_length)], **kwargs)


class YesNoField(RadioField):
    """A question answered by oui or non; its value in the file is True or False."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("validators", [InputRequired(ANSWER_REQUIRED)])
        super().__init__(label, choices=YES_NO, **kwargs)
        self.type = "RadioField"  # drawn as a radio group by the field macro of _forms.html

    @staticmethod
    def to_form(value):
        return None if value is None else (YES if value else NO)

    def file_value(self):
        return {YES: True, NO: False}.get(self.data)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class FileForm(FlaskForm):
    """A part of the family file; its field names are those of models/changes.py."""

    file_fields = ()

    @classmethod
    def initial_data(cls, values):
        """Form data showing these values (JSON form) in the fields."""
        data = {}
        for name, value in values.items():
            field_class = getattr(getattr(cls, name, None), "field_class", None)
            if field_class is YesNoField:
                data[name] = YesNoField.to_form(value)
            elif field_class is DateField:
                data[name] = date.fromisoformat(value) if value else None
            else:
                data[name] = value
        return data

    def file_values(self, current):
        """The posted values, in their JSON form; `current` holds the validated ones."""
        values = {}
        for name in self.file_fields:
            field = self[name]
            if isinstance(field, YesNoField):
                values[name] = field.file_value()
            elif field.type == "DateField":
                values[name] = field.data.isoformat() if field.data else None
            elif field.type == "BooleanField":
                values[name] = bool(field.data)
            elif field.type == "MultiCheckboxField":
                values[name] = sorted(field.data or [])
            else:
                values[name] = (field.data or "").strip()
        return values


class GuardianForm(FileForm):
    file_fields = ("civility", "first_name", "last_name", "birth_date", "email", "mobile_phone",
                   "home_phone", "work_phone", "profession", "employer_phone")

    civility = RadioField(GUARDIAN["civility"], choices=CIVILITY_CHOICES,
                          validators=[InputRequired(_l("Choisissez une civilité."))])
    first_name = text_field(GUARDIAN["first_name"], required=True, max_length=80,
                            render_kw={"autocomplete": "given-name"})
    last_name = text_field(GUARDIAN["last_name"], required=True, max_length=80,
                           render_kw={"autocomplete": "family-name"})
    birth_date = DateField(GUARDIAN["birth_date"], validators=[Optional(), guardian_birth_date])
    email = EmailField(GUARDIAN["email"], validators=[Optional(), Length(max=254),
                                                      Email(EMAIL_INVALID)],
                       render_kw={"autocomplete": "email", "inputmode": "email"})
    mobile_phone = phone_field(GUARDIAN["mobile_phone"])
    home_phone = phone_field(GUARDIAN["home_phone"])
    work_phone = phone_field(GUARDIAN["work_phone"])
    profession = text_field(GUARDIAN["profession"], description=_l("Facultatif."))
    employer_phone = phone_field(GUARDIAN["employer_phone"], description=_l("Facultatif."))


class AddressForm(FileForm):
    file_fields = ("address_line", "postal_code", "city")

    address_line = text_field(FAMILY["address_line"], required=True, max_length=200,
                              render_kw={"autocomplete": "street-address"})
    postal_code = StringField(FAMILY["postal_code"], validators=[
        DataRequired(REQUIRED),
        Regexp(r"^\s*\d{5}\s*$", message=_l("Saisissez un code postal à 5 chiffres."))],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"})
    city = text_field(FAMILY["city"], required=True, render_kw={"autocomplete": "address-level2"})


def _compact(value):
    return "".join((value or "").split()).upper()


class BankForm(FileForm):
    """The IBAN is never shown back: left empty, the saved one is kept."""

    file_fields = ("bank_holder", "iban", "bic")

    bank_holder = text_field(FAMILY["bank_holder"], required=True,
                             description=_l("Tel qu'il figure sur votre RIB."))
    # No Optional(): validate_iban decides whether an empty field is acceptable.
    iban = StringField(FAMILY["iban"], validators=[Length(max=50)],
                       render_kw={"autocomplete": "off", "spellcheck": "false",
                                  "autocapitalize": "characters"})
    bic = StringField(FAMILY["bic"], validators=[Optional(), Length(max=15)],
                      description=_l("Facultatif : retrouvé à partir de l'IBAN quand c'est "
                                     "possible."),
                      render_kw={"autocomplete": "off", "autocapitalize": "characters"})

    has_iban = False

    @classmethod
    def initial_data(cls, values):
        return {"bank_holder": values.get("bank_holder", ""), "bic": values.get("bic", "")}

    def validate_iban(self, field):
        if not _compact(field.data):
            if not self.has_iban:
                raise ValidationError(REQUIRED)
            return
        try:
            iban = IBAN(_compact(field.data))
        except SchwiftyException as error:
            raise ValidationError(_l("Cet IBAN n'est pas valide. Vérifiez-le sur votre RIB : "
                                     "il commence par deux lettres, par exemple FR76.")) from error
        if not iban.in_sepa_zone:
            raise ValidationError(_l("Le prélèvement demande un compte de la zone SEPA."))
        field.data = iban.compact

    def validate_bic(self, field):
        if not _compact(field.data):
            return
        try:
            field.data = str(BIC(_compact(field.data)))
        except SchwiftyException as error:
            raise ValidationError(_l("Ce BIC n'est pas valide : 8 ou 11 lettres et chiffres, "
                                     "par exemple PSSTFRPPXXX.")) from error

    def file_values(self, current):
        new_iban = self.iban.data or ""
        bic = _compact(self.bic.data)
        if not bic and new_iban:  # a new account: its BIC, never the old bank's
            found = IBAN(new_iban).bic
            bic = str(found) if found else ""
        elif not bic:
            bic = current.get("bic", "")
        return {"bank_holder": self.bank_holder.data.strip(),
                "iban": new_iban or current.get("iban", ""), "bic": bic}


class ChildForm(FileForm):
    file_fields = ("first_name", "last_name", "birth_date", "sex", "school", "class_name")

    first_name = text_field(CHILD["first_name"], required=True, max_length=80)
    last_name = text_field(CHILD["last_name"], required=True, max_length=80)
    birth_date = DateField(CHILD["birth_date"],
                           validators=[DataRequired(_l("Saisissez une date valide.")),
                                       child_birth_date])
    sex = SelectField(CHILD["sex"], choices=[SelectChoice(v, label)
                                             for v, label in SEX_LABELS.items()])
    school = text_field(CHILD["school"])
    class_name = text_field(CHILD["class_name"], max_length=40,
                            description=_l("Par exemple CP, CE2, MS."))


class HealthForm(FileForm):
    file_fields = ("allergies", "diets", "pai", "disability", "doctor_name", "doctor_phone",
                   "vaccinations_up_to_date", "remarks")

    allergies = TextAreaField(HEALTH["allergies"], validators=[Optional(), Length(max=1000)],
                              description=_l("Aliments, médicaments, piqûres… Laissez vide "
                                             "s'il n'y en a pas."))
    diets = MultiCheckboxField(HEALTH["diets"],
                               choices=[SelectChoice(d, DIET_LABELS[d]) for d in DIETS],
                               description=_l("Ce que la cuisine doit préparer pour l'enfant."))
    pai = YesNoField(HEALTH["pai"], description=_l(
        "Le document du PAI se dépose à part ; n'indiquez pas ici de diagnostic."))
    disability = YesNoField(HEALTH["disability"])
    doctor_name = text_field(HEALTH["doctor_name"])
    doctor_phone = phone_field(HEALTH["doctor_phone"])
    vaccinations_up_to_date = YesNoField(HEALTH["vaccinations_up_to_date"])
    remarks = TextAreaField(HEALTH["remarks"], validators=[Optional(), Length(max=1000)],
                            description=_l("Ce qui aide à prendre soin de l'enfant (lunettes, "
                                           "appareil auditif, traitement à donner…), sans "
                                           "diagnostic médical."))


class ContactForm(FileForm):
    file_fields = ("full_name", "relation", "phone", "may_pick_up", "emergency_contact")

    full_name = text_field(CONTACT["full_name"], required=True)
    relation = text_field(CONTACT["relation"], required=True, max_length=60,
                          description=_l("Par exemple grand-mère, voisin, nourrice."))
    phone = phone_field(CONTACT["phone"], required=True)
    may_pick_up = BooleanField(CONTACT["may_pick_up"])
    emergency_contact = BooleanField(CONTACT["emergency_contact"])

    def validate_emergency_contact(self, field):
        if not (field.data or self.may_pick_up.data):
            raise ValidationError(_l("Cochez au moins une des deux cases."))


def authorizations_form(kinds):
    """A form with one yes/no question per authorization the town asks for."""

    class AuthorizationsForm(FileForm):
        file_fields = tuple(kinds)

    for kind in kinds:
        description = authorization_hint(kind) or None
        label = AUTHORIZATION_LABELS.get(kind) or field_label("authorization", kind)
        setattr(AuthorizationsForm, kind, YesNoField(label, description=description))
    return AuthorizationsForm


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo de l'enfant"),
                      validators=[DataRequired(_l("Choisissez une photo."))],
                      description=_l("JPEG ou PNG, 5 Mo au plus. Elle n'est visible que par "
                                     "votre famille et le service enfance."),
                      render_kw={"accept": "image/jpeg,image/png"})


PHOTO_ERRORS = {
    "too_big": _l("Cette photo est trop lourde : 5 Mo au plus."),
    "not_an_image": _l("Ce fichier n'est pas une photo JPEG ou PNG valide."),
}


FORMS = {
    "address": AddressForm,
    "bank": BankForm,
    "guardian": GuardianForm,
    "general": ChildForm,
    "health": HealthForm,
    "contact": ContactForm,
}


def form_class(section, kinds=()):
    if section == "authorizations":
        return authorizations_form(kinds)
    return FORMS[section]
