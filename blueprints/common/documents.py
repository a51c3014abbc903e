"""The kinds of documents a family sends, in words (parents' and staff's pages)."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

KIND_LABELS = {
    "caf": _l("Attestation CAF"),
    "registration": _l("Dossier d'inscription"),
    "pai": _l("PAI (accueil individualisé)"),
    "medical": _l("Certificat médical"),
    "other": _l("Autre document"),
}
KIND_CHOICES = [SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]


def document_kind(kind):
    return KIND_LABELS.get(kind, kind)
