"""The long-period form of the planning: reserve or declare absences for many days at
once, with a live preview of what will happen (section 3 of the guide)."""
import uuid
from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common.pages import current_town, render_page
from blueprints.planning.blueprint import bp
from blueprints.planning.forms import PeriodForm
from extensions import db
from jobs.requests import enqueue_request
from models import Enrollment
from models.calendar import school_year_of
from models.clock import paris_today as today
from models.period import (
    existing_request,
    never_enrolled,
    plan_fingerprint,
    plan_period,
    save_period_request,
)
from models.planning import RESERVE


def _new_form(family):
    """Four weeks from next week, every child and the activities they are enrolled in."""
    start = today() + timedelta(days=7)
    children = [c.id for c in family.children]
    enrolled = Enrollment.keys_for(children, [school_year_of(start)])
    return PeriodForm(family, data={
        "action": RESERVE, "weekdays": ["1", "2", "4", "5"], "first_day": start,
        "last_day": start + timedelta(days=27), "client_token": uuid.uuid4().hex,
        "children": children, "activities": sorted({a for _c, a, _y in enrolled})})


@bp.get("/activites/longue-periode")
def period():
    form = _new_form(current_user.family)
    return render_page("planning/period.html", form=form, groups=None)


def _preview(form):
    """What the preview shows for a valid form: the groups, the pairs never enrolled,
    and the fingerprint a submission sends back."""
    ask = form.ask()
    groups = plan_period(ask, current_town().holiday_zone)
    return {"groups": groups, "not_enrolled": never_enrolled(ask),
            "fingerprint": plan_fingerprint(ask, groups)}


@bp.post("/activites/longue-periode/apercu")
def period_preview():
    form = PeriodForm(current_user.family)
    shown = {"groups": None, "not_enrolled": []}
    if form.validate() and form.check_enrollments():
        shown = _preview(form)
    return render_template("planning/_period_preview.html", form=form, **shown)


@bp.post("/activites/longue-periode")
def period_submit():
    family = current_user.family
    form = PeriodForm(family)
    token = form.client_token.data or ""
    if form.validate_on_submit() and len(token) == 32:
        if existing_request(family, token) is None and not form.check_enrollments():
            return render_page("planning/period.html", form=form, groups=None), 422
        saved, created = save_period_request(family, current_user, form.ask(),
                                             current_town().holiday_zone, token,
                                             shown=form.apercu.data or None)
        if saved is None:
            # The plan changed since the preview: nothing is asked; the new one is shown.
            db.session.rollback()
            return render_page("planning/period.html", form=form, changed=True,
                               **_preview(form)), 409
        if created:
            enqueue_request(saved)
        db.session.commit()
        if created:
            flash(_("Votre demande sur la période a été envoyée : les jours concernés sont en "
                    "attente. Vous recevrez un accusé de réception puis la réponse par "
                    "email."), "success")
        else:
            flash(_("Cette demande avait déjà été envoyée : elle n'a pas été enregistrée une "
                    "seconde fois."), "info")
        # The list: every cell of the month at every width (a phone's month is a calendar
        # of initials), each settling by itself.
        return redirect(url_for("planning.index", vue="liste", date=form.first_day.data))
    if not form.errors:
        form.form_errors.append(_("Ce formulaire n'est plus valide : rechargez la page."))
    return render_page("planning/period.html", form=form, groups=None), 422
