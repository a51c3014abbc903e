"""Nous contacter, Guide d'utilisation, Infos diverses and Règlement intérieur.

The guide, the rules and Infos diverses are public: a family reads them before it has
an account. Writing to the service needs a parent's account.
"""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.common.child_choice import ChildChoice
from blueprints.common.counters import home_counter
from blueprints.common.files import send_stored
from blueprints.common.forms import REQUIRED, ReplyForm
from blueprints.common.limits import per_account, succeeded
from blueprints.common.pages import form_status, render_page
from extensions import db, limiter
from models import (
    AccessibilityStatement,
    Activity,
    AuditEvent,
    BillingSettings,
    ContactMessage,
    ContactThread,
    RulesVersion,
    TownPage,
)
from models.holiday_centres import Windows
from models.info import MISC
from security import parent_required

bp = Blueprint("info", __name__)

THREADS_SHOWN = 30


@home_counter("info.contact", _l("Réponses à vos messages"), position=50)
def service_replies(family_id, since):
    return ContactMessage.replies_since(family_id, since)


class ContactForm(ChildChoice, ReplyForm):
    subject = StringField(_l("Objet"), validators=[DataRequired(REQUIRED), Length(max=150)],
                          render_kw={"maxlength": 150})
    child = SelectField(_l("Enfant concerné (facultatif)"), validate_choice=False)

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_children(family, _l("Aucun en particulier"))


# Against abuse: a family writes a few messages, not a flood. Sent messages count.
message_limits = [
    limiter.limit("5 per 10 minutes", methods=["POST"], key_func=per_account("contact"),
                  deduct_when=succeeded),
    limiter.limit("30 per day", methods=["POST"], key_func=per_account("contact"),
                  deduct_when=succeeded),
]


def _limited(view):
    for limit in reversed(message_limits):
        view = limit(view)
    return view


def _family_thread_or_404(thread_id):
    thread = ContactThread.with_messages(thread_id)
    if thread is None or thread.family_id != current_user.family.id:
        abort(404)
    return thread


@bp.route("/nous-contacter", methods=["GET", "POST"])
@_limited
def contact():
    if (refused := parent_required()) is not None:
        return refused
    family = current_user.family
    form = ContactForm(family)
    if form.validate_on_submit():
        thread = ContactThread.start(family, current_user, form.subject.data, form.body.data,
                                     child=form.chosen_child)
        db.session.flush()
        AuditEvent.record(current_user, "contact.sent", thread, family_id=family.id)
        db.session.commit()
        flash(_("Votre message a été envoyé au service enfance. Vous recevrez sa réponse par "
                "email et la retrouverez ici."), "success")
        return redirect(url_for("info.thread", thread_id=thread.id))
    status = form_status()
    return render_page("info/contact.html", form=form,
                       threads=ContactThread.for_family(family.id, THREADS_SHOWN)), status


@bp.route("/nous-contacter/<int:thread_id>", methods=["GET", "POST"])
@_limited
def thread(thread_id):
    if (refused := parent_required()) is not None:
        return refused
    conversation = _family_thread_or_404(thread_id)
    form = ReplyForm()
    if form.validate_on_submit():
        conversation.add_message(current_user, form.body.data)
        AuditEvent.record(current_user, "contact.sent", conversation,
                          family_id=conversation.family_id)
        db.session.commit()
        flash(_("Votre message a été envoyé au service enfance."), "success")
        return redirect(url_for("info.thread", thread_id=conversation.id))
    status = form_status()
    return render_page("info/thread.html", thread=conversation, form=form), status


@bp.get("/guide")
def guide():
    return render_page("info/guide.html")


@bp.get("/infos-diverses")
def misc():
    return render_page("info/misc.html", page=TownPage.get(MISC))


@bp.get("/accessibilite")
def accessibility():
    """The déclaration d'accessibilité (RGAA 4.1), public like the guide."""
    return render_page("info/accessibility.html", statement=AccessibilityStatement.current())


@bp.get("/reglement-interieur")
def rules():
    return render_page("info/rules.html", current=RulesVersion.current(),
                       activities=Activity.ordered(), rules=BillingSettings.current(),
                       windows=Windows())


@bp.get("/reglement-interieur/reglement.pdf")
def rules_pdf():
    current = RulesVersion.current()
    return send_stored(current.file if current else None)
