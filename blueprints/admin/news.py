"""Actualités in the staff area: write, schedule, publish and unpublish news."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.admin.blueprint import bp
from blueprints.common.files import CheckedFileField, send_stored
from blueprints.common.forms import REQUIRED, ConfirmForm
from blueprints.common.pager import page_of
from blueprints.common.pages import form_status, render_page
from extensions import db
from models import AuditEvent, News, StoredFile
from models.clock import paris_today
from models.files import PDF

NEWS_PER_PAGE = 30
MARKDOWN_HINT = _l("Mise en forme simple : **gras**, *italique*, une ligne vide entre deux "
                   "paragraphes, « - » en début de ligne pour une liste, [texte](https://…) "
                   "pour un lien.")


class NewsForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField(_l("Texte"), validators=[DataRequired(REQUIRED), Length(max=20000)],
                         description=MARKDOWN_HINT, render_kw={"rows": 12})
    publish_on = DateField(_l("Visible à partir du"),
                           validators=[DataRequired(_l("Saisissez une date valide."))])
    publish_until = DateField(_l("Jusqu'au (inclus, facultatif)"), validators=[Optional()],
                              description=_l("Laissez vide pour la laisser en ligne."))
    attachment = CheckedFileField(_l("Pièce jointe (PDF, facultatif)"), allowed=(PDF,),
                                  required=False)
    remove_attachment = BooleanField(_l("Retirer la pièce jointe actuelle"))
    save = SubmitField(_l("Enregistrer"))
    save_and_publish = SubmitField(_l("Enregistrer et publier"))

    def validate_publish_until(self, field):
        if field.data and self.publish_on.data and field.data < self.publish_on.data:
            raise ValidationError(_l("La date de fin doit suivre la date de début."))


@bp.get("/actualites")
def news():
    shown = page_of(News.latest, NEWS_PER_PAGE)
    return render_page("admin/news/list.html", items=shown.rows, today=paris_today(),
                       action_form=ConfirmForm(), **shown.context)


def _save(form, item):
    item.title = form.title.data.strip()
    item.body = form.body.data
    item.publish_on = form.publish_on.data
    item.publish_until = form.publish_until.data
    if form.save_and_publish.data:
        item.published = True
    if item.attachment is not None and (form.remove_attachment.data or form.attachment.content):
        item.attachment.discard()
        item.attachment = None
    if form.attachment.content:
        item.attachment = StoredFile.save(form.attachment.content, form.attachment.content_type,
                                          form.attachment.file_name)
    item.touch()


@bp.route("/actualites/nouvelle", methods=["GET", "POST"])
def new_news():
    form = NewsForm(data={"publish_on": paris_today()} if request.method == "GET" else None)
    if form.validate_on_submit():
        item = News(author_id=current_user.id, published=False)
        _save(form, item)
        db.session.add(item)
        db.session.flush()
        AuditEvent.record(current_user, "news.created", item, published=item.published)
        db.session.commit()
        flash(_("Actualité publiée.") if item.published else _("Brouillon enregistré."),
              "success")
        return redirect(url_for("admin.edit_news", news_id=item.id))
    status = form_status()
    return render_page("admin/news/form.html", form=form, item=None, today=paris_today()), status


@bp.route("/actualites/<int:news_id>", methods=["GET", "POST"])
def edit_news(news_id):
    item = db.get_or_404(News, news_id)
    saved = {"title": item.title, "body": item.body, "publish_on": item.publish_on,
             "publish_until": item.publish_until}
    form = NewsForm(data=saved if request.method == "GET" else None)
    if form.validate_on_submit():
        _save(form, item)
        AuditEvent.record(current_user, "news.edited", item, published=item.published)
        db.session.commit()
        flash(_("Actualité enregistrée."), "success")
        return redirect(url_for("admin.edit_news", news_id=item.id))
    status = form_status()
    return render_page("admin/news/form.html", form=form, item=item, today=paris_today(),
                       action_form=ConfirmForm()), status


@bp.post("/actualites/<int:news_id>/publication")
def publish_news(news_id):
    """Publish (shown from its start date) or take back to draft."""
    item = db.get_or_404(News, news_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    item.published = request.form.get("publier") == "1"
    item.touch()
    AuditEvent.record(current_user, "news.published" if item.published else "news.unpublished",
                      item)
    db.session.commit()
    if item.published and item.publish_on > paris_today():
        flash(_("Actualité programmée : elle sera visible à partir du %(date)s.",
                date=format_date(item.publish_on, "long")), "success")
    elif item.published:
        flash(_("Actualité publiée."), "success")
    else:
        flash(_("Actualité retirée : les familles ne la voient plus."), "success")
    if request.form.get("retour") == "liste":
        return redirect(url_for("admin.news"))
    return redirect(url_for("admin.edit_news", news_id=item.id))


@bp.get("/actualites/<int:news_id>/piece-jointe")
def news_attachment(news_id):
    return send_stored(db.get_or_404(News, news_id).attachment)

