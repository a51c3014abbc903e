"""What the staff publish for every family: the internal rules (versioned PDF) and the
Infos diverses page (Markdown)."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from blueprints.admin.blueprint import bp
from blueprints.admin.news import MARKDOWN_HINT
from blueprints.common.files import CheckedFileField, send_stored
from blueprints.common.pages import form_status, render_page
from extensions import db
from models import AuditEvent, RulesVersion, StoredFile, TownPage
from models.files import PDF
from models.info import MISC

VERSIONS_SHOWN = 20


class RulesForm(FlaskForm):
    file = CheckedFileField(_l("Règlement intérieur (PDF)"), allowed=(PDF,))
    note = StringField(_l("Note (facultatif)"), validators=[Length(max=200)],
                       description=_l("Par exemple « Voté en conseil municipal le 12 juin "
                                      "2026 ». Elle s'affiche sous le lien."))


class PageForm(FlaskForm):
    body = TextAreaField(_l("Texte de la page"), validators=[Length(max=50000)],
                         description=MARKDOWN_HINT, render_kw={"rows": 18})


@bp.route("/reglement-interieur", methods=["GET", "POST"])
def rules():
    form = RulesForm()
    if form.validate_on_submit():
        stored = StoredFile.save(form.file.content, form.file.content_type, form.file.file_name)
        version = RulesVersion(file=stored, note=(form.note.data or "").strip(),
                               uploaded_by_id=current_user.id)
        db.session.add(version)
        db.session.flush()
        AuditEvent.record(current_user, "rules.uploaded", version)
        db.session.commit()
        flash(_("Nouveau règlement intérieur en ligne : les familles téléchargent désormais "
                "cette version."), "success")
        return redirect(url_for("admin.rules"))
    status = form_status()
    return render_page("admin/rules.html", form=form,
                       versions=RulesVersion.history(VERSIONS_SHOWN)), status


@bp.get("/reglement-interieur/<int:version_id>")
def rules_version(version_id):
    return send_stored(db.get_or_404(RulesVersion, version_id).file)


@bp.route("/infos-diverses", methods=["GET", "POST"])
def misc_page():
    page = TownPage.get_or_new(MISC)
    form = PageForm(data={"body": page.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        page.edit(form.body.data or "", current_user)
        db.session.flush()
        AuditEvent.record(current_user, "town_page.edited", page, key=MISC)
        db.session.commit()
        flash(_("Page Infos diverses enregistrée."), "success")
        return redirect(url_for("admin.misc_page"))
    status = form_status()
    return render_page("admin/misc.html", form=form, page=page), status
