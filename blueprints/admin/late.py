"""Late requests submitted to the staff (models/late.py STAFF): the queue, and the
staff's decision on each line, audited and emailed to the family once."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from blueprints.admin.blueprint import DASHBOARD_COUNTERS, bp
from blueprints.common.pages import current_town, render_page
from extensions import db
from jobs.late import tell_late_decision
from jobs.waiting import tell_promoted
from models.late_queue import ACCEPT, REFUSE, decide_submitted, submitted_count, submitted_lines

DASHBOARD_COUNTERS.append((
    lambda n: ngettext("demande hors délai à examiner", "demandes hors délai à examiner", n),
    submitted_count, "admin.late_requests"))


class LateDecisionForm(FlaskForm):
    note = TextAreaField(_l("Motif pour la famille (facultatif)"),
                         validators=[Optional(), Length(max=500)])
    decision = HiddenField(validators=[AnyOf((ACCEPT, REFUSE),
                                             message=_l("Choisissez Accepter ou Refuser."))])


@bp.get("/hors-delai")
def late_requests():
    return render_page("admin/late/list.html", lines=submitted_lines(),
                       form=LateDecisionForm(formdata=None))


@bp.post("/hors-delai/<int:line_id>")
def decide_late(line_id):
    form = LateDecisionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("admin.late_requests"))
    decision = decide_submitted(line_id, form.decision.data, current_user, form.note.data,
                                current_town().holiday_zone)
    if decision.line is None:
        db.session.rollback()
        flash(_("Cette demande a déjà été traitée."), "info")
        return redirect(url_for("admin.late_requests"))
    tell_late_decision(decision.line)
    tell_promoted(decision.promoted)
    db.session.commit()
    if decision.refusal:
        flash(_("Cette demande ne pouvait plus être acceptée : elle est refusée et la famille "
                "est prévenue par email."), "error")
    elif decision.line.accepted:
        flash(_("Demande acceptée : la famille est prévenue par email."), "success")
    else:
        flash(_("Demande refusée : la famille est prévenue par email."), "success")
    return redirect(url_for("admin.late_requests"))
