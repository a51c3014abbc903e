"""Yearly attestations of childcare costs for every family, in bulk (a zip of one PDF
per family, made by a job): billing staff only."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.admin.blueprint import bp
from blueprints.admin.money import money_only
from blueprints.common.files import send_stored
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import render_page
from extensions import db
from jobs.statements import start_batch
from models import AuditEvent, StatementBatch
from models.clock import paris_today as today


def _year_arg(value, default):
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default
    return year if 2000 <= year <= today().year else None


@bp.route("/facturation/attestations", methods=["GET", "POST"])
@money_only
def statements():
    form = ConfirmForm()
    if request.method == "POST":
        year = _year_arg(request.form.get("year"), None)
        if not form.validate_on_submit():
            abort(400)
        if year is None:
            flash(_("Choisissez une année passée ou l'année en cours."), "error")
            return redirect(url_for("admin.statements")), 303
        start_batch(year, current_user)
        db.session.commit()
        flash(_("Les attestations %(year)s sont en préparation : le fichier apparaît "
                "ci-dessous quand il est prêt.", year=year), "success")
        return redirect(url_for("admin.statements"))
    batches = db.session.scalars(select(StatementBatch).order_by(StatementBatch.id.desc())
                                 .limit(10)).all()
    return render_page("admin/billing/statements.html", form=form, batches=batches,
                       years=list(range(today().year, today().year - 5, -1)),
                       default_year=today().year - 1)


@bp.get("/facturation/attestations/<int:batch_id>.zip")
@money_only
def statement_batch_file(batch_id):
    batch = db.session.get(StatementBatch, batch_id) or abort(404)
    AuditEvent.record_shown(current_user, "statements.downloaded", [(batch, None)])
    return send_stored(batch.file)
