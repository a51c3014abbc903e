"""Illness declared by the parent (models/illness.py): a small form, from the planning
(a reserved cell past its deadline links to it) or on its own; the absence is accepted
at once, and the family is told what happens next (the medical certificate)."""
from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from blueprints.common.child_choice import ChildChoice
from blueprints.common.fields import DayField
from blueprints.common.files import MAX_MEGABYTES, CheckedFileField
from blueprints.common.limits import per_account
from blueprints.common.pages import form_status, render_page
from blueprints.planning.blueprint import bp
from extensions import db, limiter
from jobs.emails import external_url, queue_email
from jobs.waiting import tell_promoted
from models import AuditEvent, BillingSettings, Document, StoredFile
from models.clock import paris_today, utcnow
from models.db_tools import takes_write_lock_itself
from models.files import JPEG, PDF, PNG
from models.illness import (
    ENDS_BEFORE,
    NOTHING_RESERVED,
    PAST_DAY,
    TOO_LATE_TODAY,
    TOO_LONG,
    IllnessDeclaration,
    IllnessRefused,
    attach_certificate,
    declare,
)

REFUSALS = {
    PAST_DAY: _l("On ne déclare pas une maladie pour un jour passé : contactez le service "
                 "enfance."),
    ENDS_BEFORE: _l("La date de fin est avant la date de début."),
    TOO_LONG: _l("Une déclaration couvre 31 jours au plus : faites-en une autre pour la "
                 "suite."),
    NOTHING_RESERVED: _l("Aucune réservation de cet enfant sur ces jours : rien à annuler."),
}


class IllnessForm(ChildChoice, FlaskForm):
    child = SelectField(_l("Enfant malade"), validate_choice=False,
                        validators=[InputRequired(_l("Choisissez l'enfant malade."))])
    first_day = DayField(_l("Malade du"), validators=[InputRequired(_l("Indiquez le premier "
                                                                       "jour d'absence."))])
    last_day = DayField(_l("au (inclus)"), validators=[InputRequired(_l("Indiquez le dernier "
                                                                        "jour d'absence."))])
    certificate = CheckedFileField(
        _l("Certificat médical (facultatif)"), allowed=(PDF, JPEG, PNG), required=False,
        description=_l("PDF, JPEG ou PNG, %(max)s Mo au plus. Vous pourrez aussi l'envoyer "
                       "plus tard depuis vos documents.", max=MAX_MEGABYTES))

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_children(family, _l("Choisissez"))


def refusal_words(reason, rules):
    if reason == TOO_LATE_TODAY:
        return _("Pour aujourd'hui, la déclaration est possible jusqu'à %(time)s : "
                 "contactez le service enfance.",
                 time=format_time(rules.illness_declaration_until, "HH:mm"))
    return str(REFUSALS[reason])


def _prefilled(form):
    """From a planning cell: ?enfant=…&jour=… fill the form (ignored when wrong)."""
    child = request.args.get("enfant", "")
    if child in form.children:
        form.child.data = child
    try:
        day = date.fromisoformat(request.args.get("jour", ""))
    except ValueError:
        day = paris_today()
    form.first_day.data = form.last_day.data = day


def _page(form, family):
    rules = BillingSettings.current()
    return render_page("planning/illness.html", form=form, rules=rules, today=paris_today(),
                       declarations=IllnessDeclaration.for_family(family.id))


@bp.get("/activites/maladie")
def illness():
    family = current_user.family
    form = IllnessForm(family)
    _prefilled(form)
    return _page(form, family)


@bp.post("/activites/maladie")
@limiter.limit("30 per hour", key_func=per_account("illness"))
@takes_write_lock_itself
def declare_illness():
    family = current_user.family
    form = IllnessForm(family)
    if not form.validate_on_submit():
        return _page(form, family), form_status()
    child = form.chosen_child
    rules = BillingSettings.current()
    try:
        declared = declare(child, form.first_day.data, form.last_day.data, current_user,
                           rules, now=utcnow())
    except IllnessRefused as refused:
        db.session.rollback()
        form.form_errors.append(refusal_words(refused.reason, rules))
        return _page(form, family), 422
    declaration = declared.declaration
    if form.certificate.content:
        attach_certificate(declaration, _certificate(form, family, child))
    db.session.flush()
    AuditEvent.record(current_user, "illness.declared", declaration, family_id=family.id,
                      first_day=declaration.first_day.isoformat(),
                      last_day=declaration.last_day.isoformat(),
                      cells=len(declared.released), late=len(declared.late))
    _receipt(declaration, declared)
    tell_promoted(declared.promoted)
    db.session.commit()
    flash(_("Absence pour maladie enregistrée : %(count)s réservation(s) annulée(s).",
            count=len(declared.released)), "success")
    return redirect(url_for("planning.illness"))


def _certificate(form, family, child):
    stored = StoredFile.save(form.certificate.content, form.certificate.content_type,
                             form.certificate.file_name)
    document = Document(family_id=family.id, child=child, kind="medical", file=stored,
                        uploaded_by_id=current_user.id)
    db.session.add(document)
    db.session.flush()
    AuditEvent.record(current_user, "document.uploaded", document, family_id=family.id,
                      kind=document.kind)
    return document


def _receipt(declaration, declared):
    """The receipt to the parent who declared: what was cancelled, and what to do next."""
    user = current_user
    if not user.email:
        return
    queue_email(user.email, "illness_declared", _l("Absence pour maladie enregistrée"),
                dedupe_key=f"illness-{declaration.id}-declared", user=user,
                declaration=declaration, child_name=declaration.child.first_name,
                released=len(declared.released), late=len(declared.late),
                certificate_sent=declaration.document is not None,
                documents_url=external_url("documents.index"))
