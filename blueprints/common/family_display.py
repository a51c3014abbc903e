"""How the family file reads in French (or English): field labels and values as people
see them. Shared by the parents' pages, the staff pages and the emails."""
from datetime import date

from flask import g
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from blueprints.common.forms import CIVILITY_CHOICES
from models import AuthorizationType
from models.changes import BOOL, CREATE, DATE, DELETE, LIST, SECTIONS, kind_of, read_value
from models.child_file import BUILTIN_AUTHORIZATIONS, DIETS
from models.family import mask_iban

FIELD_LABELS = {
    "family": {"address_line": _l("Adresse"), "postal_code": _l("Code postal"),
               "city": _l("Commune"), "bank_holder": _l("Titulaire du compte"),
               "iban": _l("IBAN"), "bic": _l("BIC")},
    "guardian": {"civility": _l("Civilité"), "first_name": _l("Prénom"), "last_name": _l("Nom"),
                 "birth_date": _l("Date de naissance"), "email": _l("Adresse email"),
                 "mobile_phone": _l("Téléphone portable"), "home_phone": _l("Téléphone fixe"),
                 "work_phone": _l("Téléphone professionnel"), "profession": _l("Profession"),
                 "employer_phone": _l("Téléphone de l'employeur")},
    "child": {"first_name": _l("Prénom"), "last_name": _l("Nom"),
              "birth_date": _l("Date de naissance"), "sex": _l("Sexe"), "school": _l("École"),
              "class_name": _l("Classe")},
    "health": {"allergies": _l("Allergies"), "diets": _l("Régime alimentaire"),
               "pai": _l("PAI (projet d'accueil individualisé)"),
               "disability": _l("Situation de handicap demandant un accompagnement"),
               "doctor_name": _l("Médecin traitant"), "doctor_phone": _l("Téléphone du médecin"),
               "vaccinations_up_to_date": _l("Vaccinations à jour"),
               "remarks": _l("Ce que l'équipe doit savoir")},
    "contact": {"full_name": _l("Nom et prénom"), "relation": _l("Lien avec l'enfant"),
                "phone": _l("Téléphone"), "may_pick_up": _l("Peut venir chercher l'enfant"),
                "emergency_contact": _l("À appeler en cas d'urgence")},
    "photo": {"photo": _l("Photo")},
}

AUTHORIZATION_LABELS = {
    "leave_alone": _l("Peut partir seul après l'activité"),
    "image_rights": _l("Droit à l'image : photos prises pendant les activités"),
    "emergency_care": _l("Soins d'urgence : faire soigner ou hospitaliser l'enfant en urgence"),
}

DIET_LABELS = {
    "sans_porc": _l("Sans porc"),
    "sans_viande": _l("Sans viande"),
    "vegetarien": _l("Végétarien"),
    "sans_gluten": _l("Sans gluten"),
    "sans_lactose": _l("Sans lactose"),
}
assert set(DIET_LABELS) == set(DIETS)

SEX_LABELS = {"F": _l("Fille"), "M": _l("Garçon")}
CIVILITY_LABELS = {choice.value: choice.label for choice in CIVILITY_CHOICES}

SECTION_TITLES = {
    "address": _l("Adresse du foyer"),
    "bank": _l("Coordonnées bancaires (prélèvement)"),
    "guardian": _l("Responsable"),
    "general": _l("Informations générales"),
    "authorizations": _l("Autorisations"),
    "health": _l("Données sanitaires"),
    "contact": _l("Contact"),
}

TAB_TITLES = {
    "general": _l("Informations"),
    "authorizations": _l("Autorisations"),
    "health": _l("Santé"),
    "contacts": _l("Contacts"),
    "photo": _l("Photo"),
}

EMPTY = "—"


def _town_authorizations():
    """The town's own authorization types, read once per request."""
    if "authorization_types" not in g:
        g.authorization_types = {t.kind: t for t in AuthorizationType.ordered()}
    return g.authorization_types


def authorization_kinds():
    """The authorizations parents answer today: the built-in ones, then the town's."""
    return list(BUILTIN_AUTHORIZATIONS) + [
        kind for kind, t in _town_authorizations().items() if t.active]


def authorization_hint(kind):
    town_type = _town_authorizations().get(kind)
    return town_type.description if town_type else ""


def section_fields(section):
    if section == "authorizations":
        return authorization_kinds()
    return list(SECTIONS[section][1])


def field_label(target_type, field):
    if target_type == "authorization":
        if field in AUTHORIZATION_LABELS:
            return AUTHORIZATION_LABELS[field]
        town_type = _town_authorizations().get(field)
        return town_type.label if town_type else _("Autorisation supprimée")
    return FIELD_LABELS[target_type][field]


def display_value(target_type, field, value):
    """A value of the file as a person reads it; the IBAN is always masked."""
    kind = kind_of(target_type, field)
    if target_type == "photo":
        return _("Photo") if value else EMPTY
    if field == "iban":
        return mask_iban(value) or EMPTY
    if kind == BOOL:
        return EMPTY if value is None else (_("Oui") if value else _("Non"))
    if kind == DATE:
        return format_date(date.fromisoformat(value), "short") if value else EMPTY
    if kind == LIST:
        return ", ".join(str(DIET_LABELS.get(v, v)) for v in value) if value else _("Aucun")
    if field == "civility":
        return str(CIVILITY_LABELS.get(value, value)) or EMPTY
    if field == "sex":
        return str(SEX_LABELS.get(value, value)) or EMPTY
    return value or EMPTY


def current_display(target_type, target, field):
    return display_value(target_type, field, read_value(target_type, target, field))


def contact_summary(values):
    roles = [str(FIELD_LABELS["contact"][role]) for role in ("may_pick_up", "emergency_contact")
             if values.get(role)]
    parts = [values.get("full_name", ""), values.get("relation", ""), values.get("phone", "")]
    return " · ".join([p for p in parts if p] + roles)


def change_subject(change):
    """Whom a change is about: a guardian, a child, or the household."""
    if change.child is not None:
        return change.child.full_name
    target = change.target()
    if change.target_type == "guardian" and target is not None:
        return target.full_name
    return _("Foyer %(name)s", name=change.family.name)


def change_label(change):
    """What a change is about, in a few words."""
    if change.action == CREATE:
        return _("Nouveau contact")
    if change.action == DELETE:
        person = change.target()
        if person is None:
            return _("Retirer un contact")
        return _("Retirer le contact %(name)s", name=person.full_name)
    if change.target_type == "contact":
        person = change.target()
        name = person.full_name if person else ""
        return f"{field_label('contact', change.field)} ({name})"
    return field_label(change.target_type, change.field)


def change_new_value(change):
    """The value asked for, as text; empty when there is none to read (a photo is shown
    as an image, a removal has no value)."""
    if change.action == CREATE:
        return contact_summary(change.new_value or {})
    if change.action == DELETE or change.target_type == "photo":
        return ""
    return display_value(change.target_type, change.field, change.new_value)


def change_old_value(change):
    if change.action != "update":
        return ""
    return display_value(change.target_type, change.field, change.current_value())


def pending_index(changes):
    """Pending changes by (target type, target id, field), plus new contacts by child."""
    by_field, new_contacts = {}, {}
    for change in changes:
        if change.action == CREATE:
            new_contacts.setdefault(change.child_id, []).append(change)
        else:
            by_field[(change.target_type, change.target_id, change.field)] = change
    return {"fields": by_field, "new_contacts": new_contacts}


# The family file's words for every template (the staff area uses them too).
TEMPLATE_GLOBALS = dict(
    field_label=field_label, display_value=display_value, current_display=current_display,
    section_fields=section_fields, change_subject=change_subject, change_label=change_label,
    change_new_value=change_new_value, change_old_value=change_old_value,
    contact_summary=contact_summary, authorization_hint=authorization_hint,
    section_titles=SECTION_TITLES, tab_titles=TAB_TITLES,
)
