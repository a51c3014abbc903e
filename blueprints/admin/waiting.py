"""Waiting lists (staff): every line from today on, reordered or promoted by hand."""
from itertools import groupby

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.blueprint import bp
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import render_page
from extensions import db
from jobs.waiting import tell_promoted
from models import AuditEvent
from models.clock import paris_today as today
from models.waiting import all_waiting, move, promote_one

STEPS = {"monter": -1, "descendre": 1}


@bp.get("/listes-attente")
def waiting_lists():
    lines = [(key, list(group)) for key, group in groupby(
        all_waiting(today()), key=lambda b: (b.day, b.activity))]
    return render_page("admin/waiting/list.html", lines=lines)


@bp.post("/listes-attente/<int:booking_id>/<string:step>")
def move_waiting(booking_id, step):
    if step not in STEPS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if move(booking_id, STEPS[step]) is None:
        abort(404)
    db.session.commit()
    return redirect(url_for("admin.waiting_lists"))


@bp.post("/listes-attente/<int:booking_id>/promouvoir")
def promote_waiting(booking_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    booking = promote_one(booking_id)
    if booking is None:
        db.session.rollback()
        flash(_("Aucune place n'est libre ce jour-là, ou cette demande n'est plus en liste "
                "d'attente."), "error")
        return redirect(url_for("admin.waiting_lists"))
    AuditEvent.record(current_user, "waiting.promoted", booking, day=booking.day.isoformat())
    tell_promoted([booking])
    db.session.commit()
    flash(_("Place attribuée : la famille est prévenue par email."), "success")
    return redirect(url_for("admin.waiting_lists"))
