"""Documents sent by families: the staff's queue, and the decision on each one."""
from functools import partial

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, ValidationError

from blueprints.admin.blueprint import DASHBOARD_COUNTERS, bp
from blueprints.common.documents import document_kind
from blueprints.common.files import send_stored
from blueprints.common.pager import page_of
from blueprints.common.pages import form_status, render_page
from extensions import db
from jobs.emails import external_url, queue_email
from models import AuditEvent, BillingSettings, Document, IllnessDeclaration
from models.clock import paris_today
from models.documents import RECEIVED, STATUSES
from models.illness import certificate_reviewed

DOCUMENTS_PER_PAGE = 50


class ReviewForm(FlaskForm):
    reason = TextAreaField(_l("Motif du refus"), validators=[Length(max=500)],
                           description=_l("Obligatoire pour refuser : il est envoyé à la "
                                          "famille. Par exemple « Attestation de plus de "
                                          "trois mois »."),
                           render_kw={"rows": 3, "maxlength": 500})
    accept = SubmitField(_l("Accepter"))
    reject = SubmitField(_l("Refuser"))

    def validate_reason(self, field):
        if self.reject.data and not (field.data or "").strip():
            raise ValidationError(_l("Indiquez le motif du refus : la famille le recevra."))


DASHBOARD_COUNTERS.append((lambda n: ngettext("document à examiner", "documents à examiner", n),
                           Document.count_waiting, "admin.documents"))


@bp.get("/documents")
def documents():
    status = request.args.get("statut", RECEIVED)
    if status not in STATUSES:
        status = RECEIVED
    shown = page_of(partial(Document.queue, status), DOCUMENTS_PER_PAGE)
    return render_page("admin/documents/list.html", documents=shown.rows, status=status,
                       waiting=Document.count_waiting(), **shown.context)


@bp.route("/documents/<int:document_id>", methods=["GET", "POST"])
def document(document_id):
    item = db.get_or_404(Document, document_id)
    form = ReviewForm()
    if request.method == "POST" and item.is_received and form.validate_on_submit():
        accepted = bool(form.accept.data)
        if item.review(current_user, accepted, form.reason.data or ""):
            # a certificate of an illness declared by the family: its days are waived
            illness = certificate_reviewed(item)
            AuditEvent.record(current_user, "document.reviewed", item, family_id=item.family_id,
                              accepted=accepted, illness=illness.id if illness else None)
            _tell_the_family(item, illness)
            db.session.commit()
            flash(_("Document accepté : la famille est prévenue par email.") if accepted else
                  _("Document refusé : la famille reçoit le motif par email."), "success")
            return redirect(url_for("admin.documents"))
        db.session.rollback()
        flash(_("Ce document vient d'être examiné par quelqu'un d'autre."), "info")
        return redirect(url_for("admin.document", document_id=item.id))
    if request.method == "POST" and not item.is_received:
        form.form_errors.append(_("Ce document a déjà été examiné."))
    status = form_status()
    return render_page("admin/documents/show.html", document=item, form=form,
                       illness=IllnessDeclaration.of_document(item.id)), status


def _tell_the_family(item, illness=None):
    user = item.uploaded_by
    if user is None or not user.email:
        return
    queue_email(user.email, "document_reviewed",
                _l("Votre document a été examiné"), dedupe_key=f"document-{item.id}-reviewed",
                user=user, document=item, kind=document_kind(item.kind), illness=illness,
                in_time=illness is not None and paris_today() <= illness.certificate_due_on,
                rules=BillingSettings.current() if illness else None,
                documents_url=external_url("documents.index"))


@bp.get("/documents/<int:document_id>/fichier")
def document_file(document_id):
    return send_stored(db.get_or_404(Document, document_id).file)
