"""Documents: a family sends its pièces justificatives (section 5 of the guide) and
follows what the service decided about each one."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2_fragments.flask import render_block
from wtforms import SelectField

from blueprints.common.child_choice import ChildChoice
from blueprints.common.counters import home_counter
from blueprints.common.documents import KIND_CHOICES
from blueprints.common.files import MAX_MEGABYTES, REFUSALS, CheckedFileField, send_stored
from blueprints.common.limits import per_account, succeeded
from blueprints.common.pages import own_or_404, render_page
from extensions import db, limiter
from models import AuditEvent, Document, IllnessDeclaration, StoredFile
from models.clock import paris_today
from models.files import JPEG, MAX_BYTES, PDF, PNG, TOO_LARGE
from models.illness import WAITING, attach_certificate
from security import is_htmx, parent_required

bp = Blueprint("documents", __name__)
bp.before_request(parent_required)

DOCUMENTS_SHOWN = 50
@home_counter("documents.index", _l("Documents examinés"), position=30)
def reviewed_documents(family_id, since):
    return Document.reviewed_since(family_id, since)


class DocumentForm(ChildChoice, FlaskForm):
    kind = SelectField(_l("Type de document"), choices=KIND_CHOICES)
    child = SelectField(_l("Concerne"), validate_choice=False,
                        description=_l("Toute la famille, ou l'un de vos enfants."))
    file = CheckedFileField(_l("Fichier"), allowed=(PDF, JPEG, PNG),
                            description=_l("PDF, JPEG ou PNG, %(max)s Mo au plus. Une photo "
                                           "nette du document convient.", max=MAX_MEGABYTES))

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_children(family, _l("Toute la famille"))


class CertificateForm(FlaskForm):
    """A medical certificate for an illness declared from the planning."""
    file = CheckedFileField(_l("Certificat médical"), allowed=(PDF, JPEG, PNG),
                            description=_l("PDF, JPEG ou PNG, %(max)s Mo au plus.",
                                           max=MAX_MEGABYTES))


def _awaited(family_id):
    """The family's declared illnesses still waiting for a certificate, in time."""
    today = paris_today()
    return [d for d in IllnessDeclaration.for_family(family_id)
            if d.cells_late and d.state_on(today) == WAITING]


def _form_context(form, certificate_form=None, failed_for=None):
    # The browser checks the size before sending, with the server's own words.
    family_id = current_user.family.id
    return {"form": form, "max_bytes": MAX_BYTES, "too_large": REFUSALS[TOO_LARGE],
            "awaited": _awaited(family_id), "certificate_form": certificate_form
            or CertificateForm(), "failed_for": failed_for, "today": paris_today()}


@bp.get("/documents")
def index():
    family = current_user.family
    return render_page("documents/index.html", **_form_context(DocumentForm(family)),
                       documents=Document.for_family(family.id, DOCUMENTS_SHOWN))


@bp.post("/documents")
@limiter.limit("60 per hour", key_func=per_account("documents"))
@limiter.limit("20 per hour", key_func=per_account("documents"), deduct_when=succeeded)
def upload():
    """A plain multipart form; static/js/upload.js sends the same form with a progress
    bar and the HX-Request header. To the script, a refused file is answered with the
    form block and its messages, to show in place (200, as htmx swaps it: the request
    itself went well); to a plain form, with the whole page (422)."""
    family = current_user.family
    form = DocumentForm(family)
    if not form.validate_on_submit():
        if is_htmx():
            return render_block("documents/index.html", "upload_form", **_form_context(form))
        return render_page("documents/index.html", **_form_context(form),
                           documents=Document.for_family(family.id, DOCUMENTS_SHOWN)), 422
    stored = StoredFile.save(form.file.content, form.file.content_type, form.file.file_name)
    document = Document(family_id=family.id, child=form.chosen_child, kind=form.kind.data,
                        file=stored, uploaded_by_id=current_user.id)
    db.session.add(document)
    db.session.flush()
    AuditEvent.record(current_user, "document.uploaded", document, family_id=family.id,
                      kind=document.kind)
    db.session.commit()
    flash(_("Votre document a bien été envoyé. Le service enfance va l'examiner ; vous serez "
            "prévenu par email."), "success")
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("documents.index")}
    return redirect(url_for("documents.index"))


@bp.post("/documents/maladie/<int:declaration_id>/certificat")
@limiter.limit("60 per hour", key_func=per_account("documents"))
@limiter.limit("20 per hour", key_func=per_account("documents"), deduct_when=succeeded)
def certificate(declaration_id):
    """The medical certificate of an illness declared from the planning: a document of
    the family, reviewed by the staff like any other, sent in time."""
    family = current_user.family
    declaration = own_or_404(IllnessDeclaration, declaration_id)
    form = CertificateForm()
    if declaration.state_on(paris_today()) != WAITING:
        form.form_errors.append(_("Le délai pour envoyer ce certificat est passé, ou un "
                                  "certificat est déjà en cours d'examen."))
    if form.form_errors or not form.validate_on_submit():
        return render_page("documents/index.html", **_form_context(
            DocumentForm(family), form, declaration.id),
            documents=Document.for_family(family.id, DOCUMENTS_SHOWN)), 422
    stored = StoredFile.save(form.file.content, form.file.content_type, form.file.file_name)
    document = Document(family_id=family.id, child_id=declaration.child_id, kind="medical",
                        file=stored, uploaded_by_id=current_user.id)
    db.session.add(document)
    db.session.flush()
    attach_certificate(declaration, document)
    AuditEvent.record(current_user, "document.uploaded", document, family_id=family.id,
                      kind=document.kind, illness=declaration.id)
    db.session.commit()
    flash(_("Votre certificat médical a bien été envoyé. Le service enfance va l'examiner ; "
            "vous serez prévenu par email."), "success")
    return redirect(url_for("documents.index"))


@bp.get("/documents/<int:document_id>/fichier")
def download(document_id):
    document = db.get_or_404(Document, document_id)
    if document.family_id != current_user.family.id:
        abort(404)  # another family's document does not exist for this one
    return send_stored(document.file)
