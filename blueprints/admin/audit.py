"""Admins only: the audit log of family files (who saw or changed what, and when), its
retention period, and the authorizations the town asks parents for."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints import form_status, render_page
from blueprints.admin import bp
from blueprints.admin.forms import AuthorizationTypeForm, ConfirmForm, RetentionForm
from blueprints.admin.money import MONEY_ACTIONS, describe_money
from blueprints.family.display import field_label
from extensions import db
from models import AuditEvent, AuthorizationType, Family, Town
from models.changes import is_known_field
from security import admin_only, no_store

PAGE_SIZE = 100

ACTIONS = {
    "health.viewed": _l("Consultation des données sanitaires"),
    "change.requested": _l("Demande de modification"),
    "change.withdrawn": _l("Demande retirée par la famille"),
    "change.approved": _l("Modification validée"),
    "change.rejected": _l("Modification refusée"),
    "file.updated": _l("Modification directe par le service"),
    "file.exported": _l("Téléchargement du dossier par la famille"),
    "family.created": _l("Dossier créé"),
    "guardian.created": _l("Responsable ajouté"),
    "child.created": _l("Enfant ajouté"),
    "subscriber_code.issued": _l("Code abonné émis"),
    "audit.retention_changed": _l("Durée de conservation du journal modifiée"),
    "authorization_type.created": _l("Autorisation ajoutée"),
    "authorization_type.toggled": _l("Autorisation activée ou désactivée"),
}

ACTIONS.update(MONEY_ACTIONS)  # issue 15: money actions, with their reason

OPERATIONS = {"create": _l("ajout"), "delete": _l("suppression")}

PARTS = {
    "family": _l("Foyer"), "guardian": _l("Responsable"), "child": _l("Informations"),
    "health": _l("Données sanitaires"), "authorization": _l("Autorisations"),
    "contact": _l("Contacts"), "photo": _l("Photo"),
}


def describe(event):
    """What an audit row says, in words: the part of the file and its fields, no values."""
    details = event.details or {}
    part = details.get("part")
    words = [str(PARTS.get(part, part))] if part else []
    fields = [str(field_label(part, f)) if is_known_field(part, f) else f
              for f in details.get("fields", [])]
    if fields:
        words.append(", ".join(fields))
    if details.get("operation") in OPERATIONS:
        words.append(str(OPERATIONS[details["operation"]]))
    if details.get("format"):
        words.append(details["format"].upper())
    if describe_money(details):  # issue 15
        words.append(describe_money(details))
    return " : ".join(words)


@bp.get("/journal")
@admin_only
@no_store
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    family_id = request.args.get("famille", type=int)
    statement = select(AuditEvent).options(selectinload(AuditEvent.actor))
    count = select(func.count(AuditEvent.id))
    if family_id is not None:
        statement = statement.where(AuditEvent.family_id == family_id)
        count = count.where(AuditEvent.family_id == family_id)
    events = db.session.scalars(statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    total = db.session.scalar(count)
    family_ids = {e.family_id for e in events if e.family_id}
    families = {f.id: f for f in db.session.scalars(
        select(Family).where(Family.id.in_(family_ids)))} if family_ids else {}
    return render_page("admin/audit/log.html", events=events, families=families, page=page,
                       has_next=page * PAGE_SIZE < total, total=total, family_id=family_id,
                       actions=ACTIONS, describe=describe,
                       form=RetentionForm(data={"months": Town.audit_retention()}))


@bp.post("/journal/conservation")
@admin_only
def audit_retention():
    town = Town.current() or abort(404)
    form = RetentionForm()
    if form.validate_on_submit():
        town.audit_retention_months = form.months.data
        AuditEvent.record(current_user, "audit.retention_changed", town,
                          months=form.months.data)
        db.session.commit()
        flash(_("Le journal est désormais conservé %(months)s mois.", months=form.months.data),
              "success")
    else:
        flash(" ".join(str(e) for e in form.months.errors) or _("Durée non valide."), "error")
    return redirect(url_for("admin.audit_log"))


@bp.route("/autorisations", methods=["GET", "POST"])
@admin_only
def authorization_types():
    form = AuthorizationTypeForm()
    if form.validate_on_submit():
        kind = AuthorizationType(label=form.label.data.strip(),
                                 description=(form.description.data or "").strip())
        db.session.add(kind)
        db.session.flush()
        AuditEvent.record(current_user, "authorization_type.created", kind)
        db.session.commit()
        flash(_("Autorisation ajoutée : les familles y répondront dans la fiche de chaque "
                "enfant."), "success")
        return redirect(url_for("admin.authorization_types"))
    status = form_status()
    return render_page("admin/authorization_types.html", form=form,
                       types=AuthorizationType.ordered(), confirm_form=ConfirmForm()), status


@bp.post("/autorisations/<int:type_id>/activation")
@admin_only
def toggle_authorization_type(type_id):
    kind = db.session.get(AuthorizationType, type_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    kind.active = not kind.active
    AuditEvent.record(current_user, "authorization_type.toggled", kind, active=kind.active)
    db.session.commit()
    flash(_("Autorisation réactivée.") if kind.active else _(
        "Autorisation désactivée : elle n'est plus demandée aux familles ; les réponses déjà "
        "données sont conservées."), "success")
    return redirect(url_for("admin.authorization_types"))
