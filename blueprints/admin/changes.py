"""The queue of pending changes to family files: staff approve or reject each one.

Oldest first, grouped by family, each shown as old value -> new value. The parent who
asked is told by email (outbox + job) and sees the answer on their pages.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from blueprints.admin.blueprint import DASHBOARD_COUNTERS, bp
from blueprints.admin.forms import DecisionForm
from blueprints.common.pages import render_page
from extensions import db
from jobs.changes import notify_decision
from models import AuditEvent, ChangeRequest
from models.changes import APPROVED, PENDING
from security import is_htmx, no_store

DASHBOARD_COUNTERS.append((
    lambda n: ngettext("modification à valider", "modifications à valider", n),
    lambda: db.session.scalar(select(func.count(ChangeRequest.id))
                              .where(ChangeRequest.status == PENDING)),
    "admin.changes"))


def _grouped(changes):
    """[(family, [changes])], families in the order of their oldest pending change."""
    groups = {}
    for change in changes:
        groups.setdefault(change.family_id, (change.family, []))[1].append(change)
    return list(groups.values())


def _record_health_reads(changes):
    """Health values shown in the queue are a read of health data: log it per child."""
    children = {c.child.id: c.child for c in changes if c.target_type == "health"}
    AuditEvent.record_shown(current_user, "health.viewed",
                            [(child, child.family_id) for child in children.values()],
                            via="changes")


@bp.get("/modifications")
@no_store
def changes():
    family_id = request.args.get("famille", type=int)
    pending = ChangeRequest.queue(family_id=family_id)
    body = render_page("admin/changes/queue.html", groups=_grouped(pending),
                       family_id=family_id)
    _record_health_reads(pending)
    return body


@bp.post("/modifications/<int:change_id>/decision")
@no_store
def decide_change(change_id):
    change = _change_or_404(change_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    if change.decide(current_user, form.decision.data == "approve", form.comment.data):
        notify_decision(change)
        db.session.commit()
        message = _("Modification validée et appliquée au dossier.") if change.status == \
            APPROVED else _("Modification refusée : le dossier reste inchangé.")
        flash_level = "success"
    else:
        message = _("Cette modification a déjà été traitée ou retirée.")
        flash_level = "info"
    if is_htmx():
        return render_template("admin/changes/_change.html", c=change, message=message,
                               family_id=None)
    flash(message, flash_level)
    return redirect(url_for("admin.changes", famille=request.args.get("famille", type=int)))


def _change_or_404(change_id):
    change = db.session.scalar(select(ChangeRequest).where(ChangeRequest.id == change_id)
                               .options(*ChangeRequest.display_options()))
    if change is None:
        abort(404)
    return change
