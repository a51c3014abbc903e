"""Réinscriptions, parent side: while the service's campaign is open, a family confirms
or changes, child by child, the activities of next school year (the child's next class
is shown; a child leaving the elementary school has nothing to answer)."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common.counters import home_notice
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import render_page
from blueprints.family.blueprint import bp
from extensions import db
from models import Activity, AuditEvent, Campaign, ChildAnswer
from models.calendar import school_year_label
from models.clock import paris_today
from models.reenrollment import PROPOSED, VALIDATED


@home_notice("reenrollment")
def awaited_answers(family_id, today):
    return Campaign.answers_awaited(family_id, today)


def waiting_answers():
    """(campaign, how many of the family's children await an answer) while a campaign
    is open and some do; None otherwise. The home page shows it as a notice."""
    family = getattr(current_user, "family", None)
    found = Campaign.awaiting_answers(family.id, paris_today()) if family else None
    return found if found and found[1] else None


@bp.app_context_processor
def _reenrollment_notice():
    # A function, called only when the home page's number for it is not 0 (one query then).
    return {"reenrollment_notice": waiting_answers}


@bp.get("/reinscription")
def reenrollment():
    family = current_user.family
    campaign = Campaign.open_for_families(paris_today())
    answers = campaign.answers_of(family.id) if campaign else []
    return render_page("family/reenrollment.html", campaign=campaign, answers=answers,
                       offered=Activity.ordered(), form=ConfirmForm(),
                       year=school_year_label(campaign.school_year) if campaign else "",
                       validated=VALIDATED, proposed=PROPOSED)


@bp.post("/reinscription/<int:answer_id>")
def answer_reenrollment(answer_id):
    answer = db.session.get(ChildAnswer, answer_id)
    if answer is None or answer.family_id != current_user.family.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not answer.campaign.is_open(paris_today()):
        flash(_("Les réinscriptions sont closes : contactez le service enfance pour tout "
                "changement."), "error")
        return redirect(url_for("family.reenrollment"))
    chosen = {int(v) for v in request.form.getlist("activite") if v.isdigit()}
    if answer.answer(chosen, [a.id for a in Activity.ordered()], current_user):
        AuditEvent.record(current_user, "reenrollment.answered", answer.child,
                          family_id=answer.family_id, activities=answer.activity_ids)
        db.session.commit()
        flash(_("Réponse enregistrée pour %(name)s : le service enfance la validera.",
                name=answer.child.first_name), "success")
    else:
        flash(_("La réinscription de %(name)s est déjà validée par le service enfance.",
                name=answer.child.first_name), "info")
    return redirect(url_for("family.reenrollment"))
