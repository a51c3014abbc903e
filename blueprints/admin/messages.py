"""The staff's inbox of messages from families, and their replies (sent by email too)."""
from functools import partial

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from blueprints.admin.blueprint import DASHBOARD_COUNTERS, bp
from blueprints.common.forms import ReplyForm
from blueprints.common.pager import page_of
from blueprints.common.pages import form_status, render_page
from extensions import db
from jobs.emails import external_url, queue_email
from models import AuditEvent, ContactThread

THREADS_PER_PAGE = 50


DASHBOARD_COUNTERS.append((lambda n: ngettext("message en attente de réponse",
                                               "messages en attente de réponse", n),
                           ContactThread.count_awaiting, "admin.messages"))


@bp.get("/messages")
def messages():
    awaiting_only = request.args.get("tous") != "1"
    shown = page_of(partial(ContactThread.inbox, awaiting_only), THREADS_PER_PAGE)
    return render_page("admin/messages/list.html", threads=shown.rows,
                       awaiting_only=awaiting_only, awaiting=ContactThread.count_awaiting(),
                       **shown.context)


@bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
def message_thread(thread_id):
    thread = ContactThread.with_messages(thread_id)
    if thread is None:
        abort(404)
    form = ReplyForm()
    form.body.label.text = _l("Votre réponse")
    if form.validate_on_submit():
        reply = thread.add_message(current_user, form.body.data)
        db.session.flush()
        AuditEvent.record(current_user, "contact.replied", thread, family_id=thread.family_id)
        recipient = thread.last_family_author()
        if recipient is not None:
            queue_email(recipient.email, "contact_reply",
                        _l("Réponse du service enfance : %(subject)s", subject=thread.subject),
                        dedupe_key=f"contact-reply-{reply.id}", user=recipient, thread=thread,
                        reply=reply,
                        thread_url=external_url("info.thread", thread_id=thread.id))
        db.session.commit()
        flash(_("Réponse envoyée : la famille la reçoit par email.") if recipient else
              _("Réponse enregistrée : la famille la verra dans son espace."), "success")
        return redirect(url_for("admin.messages"))
    status = form_status()
    return render_page("admin/messages/show.html", thread=thread, form=form), status
