"""Right of access: the whole family file as data a guardian can download and read.

Everything the file holds about the family, its guardians' accounts and its children,
plus the changes still waiting for staff, then every row of every table that belongs
to the family (documents, messages, requests and their lines, bookings, invoices,
payments, attendances, login sessions…: models/family_data.py) and the emails sent to
it. The IBAN stays masked, as everywhere; the zip adds the files themselves.
"""
import base64
import io
import json
import unicodedata
import zipfile

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
from models import ChangeRequest, Child, Family, Guardian, OutboundEmail, StoredFile, Town
from models.changes import FIELD_KINDS, read_value
from models.clock import to_paris, utcnow
from models.family import mask_iban
from models.family_data import records, stored_file_ids
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
        "emails_sent": _emails(family),
        "files": [{"id": f.id, "file_name": f.file_name, "content_type": f.content_type,
                   "size": f.size, "created_at": _moment(f.created_at)}
                  for f in _stored_files(family)],
        "records": records(family.id),
    }


def _emails(family):
    """What was emailed to the family's addresses: which email and when (the bodies
    are purged after sending, and may have held one-time links)."""
    addresses = {a.lower() for g in family.guardians
                 for a in (g.email, g.user.email if g.user else None) if a}
    if not addresses:
        return []
    rows = db.session.scalars(select(OutboundEmail).where(
        db.func.lower(OutboundEmail.to_address).in_(addresses)).order_by(OutboundEmail.id))
    return [{"to": e.to_address, "subject": e.subject, "kind": e.kind,
             "created_at": _moment(e.created_at), "sent_at": _moment(e.sent_at)}
            for e in rows]


def _stored_files(family):
    return db.session.scalars(select(StoredFile).where(
        StoredFile.id.in_(stored_file_ids(family.id))).order_by(StoredFile.id)).all()


def export_zip(family):
    """mes-donnees.json, the family's documents as sent and the children's photos."""
    data = export_family(family, with_photos=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mes-donnees.json", json.dumps(data, ensure_ascii=False, indent=2))
        used = set()
        for stored in _stored_files(family):
            _add_file(archive, stored.path, f"documents/{stored.id}-{stored.file_name}", used)
        for child in family.children:
            path = photo_path(child.photo_name)
            if path:
                _add_file(archive, path, f"photos/{child.id}-{child.first_name}.jpg", used)
    return buffer.getvalue()


def _add_file(archive, path, name, used):
    try:
        archive.write(path, name if name not in used else f"{len(used)}-{name}")
    except FileNotFoundError:  # gone from the storage: the data says it existed
        return
    used.add(name)


def export_filename(family, extension):
    ascii_name = unicodedata.normalize("NFKD", family.name).encode("ascii", "ignore").decode()
    slug = "".join(ch if ch.isalnum() else "-" for ch in ascii_name.lower()).strip("-")
    return f"dossier-famille-{slug or family.id}.{extension}"
