"""Right of access: the whole family file as data a guardian can download and read.

Everything the file holds about the family, its guardians' accounts and its children,
plus the changes still waiting for staff. The IBAN stays masked, as everywhere.
"""
import base64
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.common.family_display import (
    authorization_kinds,
    change_label,
    change_new_value,
    change_subject,
    field_label,
)
from extensions import db
from models import ChangeRequest, Child, Family, Guardian, Town
from models.changes import FIELD_KINDS, read_value
from models.clock import to_paris, utcnow
from models.family import mask_iban
from models.photos import photo_path


def _values(target_type, target):
    return {field: read_value(target_type, target, field) for field in FIELD_KINDS[target_type]}


def _photo(name):
    path = photo_path(name)
    if path is None:
        return None
    with open(path, "rb") as handle:
        return "data:image/jpeg;base64," + base64.b64encode(handle.read()).decode()


def _moment(value):
    return to_paris(value).isoformat() if value else None


def _child(child, kinds, with_photos):
    answers = {a.kind: a.granted for a in child.authorizations}
    return {
        **_values("child", child),
        "authorizations": [{"question": str(field_label("authorization", kind)),
                            "answer": answers.get(kind)} for kind in kinds],
        "health": _values("health", child),
        "authorized_persons": [_values("contact", p) for p in child.authorized_persons],
        "photo": _photo(child.photo_name) if with_photos else bool(child.photo_name),
    }


def _guardian(guardian):
    user = guardian.user
    account = None if user is None else {
        "login_email": user.email, "created_at": _moment(user.created_at),
        "last_login_at": _moment(user.last_login_at)}
    return {**_values("guardian", guardian), "account": account}


def export_family(family, with_photos=True):
    family = db.session.scalar(select(Family).where(Family.id == family.id).options(
        selectinload(Family.guardians).selectinload(Guardian.user),
        selectinload(Family.children).selectinload(Child.health_record),
        selectinload(Family.children).selectinload(Child.authorizations),
        selectinload(Family.children).selectinload(Child.authorized_persons)))
    kinds = authorization_kinds()
    household = _values("family", family)
    household["iban"] = mask_iban(household["iban"])
    town = Town.current()
    pending = ChangeRequest.queue(family_id=family.id)
    return {
        "generated_at": _moment(utcnow()),
        "town": town.name if town else None,
        "family": {"name": family.name, **household},
        # Set by the service for billing: part of what the portal keeps on the family.
        "billing": {
            "quotient": family.quotient,
            "mandate_reference": family.mandate_reference or None,
            "mandate_signed_on": (family.mandate_signed_on.isoformat()
                                  if family.mandate_signed_on else None),
        },
        "guardians": [_guardian(g) for g in family.guardians],
        "children": [_child(c, kinds, with_photos) for c in family.children],
        "pending_changes": [{
            "about": change_subject(c), "what": str(change_label(c)),
            "new_value": change_new_value(c),
            "requested_at": _moment(c.requested_at),
        } for c in pending],
    }


def export_filename(family, extension):
    ascii_name = unicodedata.normalize("NFKD", family.name).encode("ascii", "ignore").decode()
    slug = "".join(ch if ch.isalnum() else "-" for ch in ascii_name.lower()).strip("-")
    return f"dossier-famille-{slug or family.id}.{extension}"
