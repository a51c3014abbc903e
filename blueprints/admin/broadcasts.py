"""The staff write first: a message to one family or to a target (school, class,
activity, the families with a booking on a day, all). A job sends it (emails to the
accounts, a thread in Nous contacter for every family); the families without an account
get a printed letter, from a PDF batch one page per family."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from blueprints.admin.blueprint import bp
from blueprints.common.dates import period_in_words
from blueprints.common.fields import DayField
from blueprints.common.forms import REQUIRED
from blueprints.common.pages import current_town, form_status, render_page
from blueprints.common.pdf import pdf_download
from extensions import db
from jobs.broadcasts import start_broadcast
from models import Activity, Broadcast, Family
from models.broadcasts import (
    ACTIVITY,
    ALL,
    CLASS,
    CLASS_SEPARATOR,
    DAY,
    FAMILY,
    SCHOOL,
    schools_and_classes,
)

TARGET_LABELS = {
    FAMILY: _l("Une famille"), SCHOOL: _l("Les familles d'une école"),
    CLASS: _l("Les familles d'une classe"), ACTIVITY: _l("Les familles inscrites à une activité"),
    DAY: _l("Les familles ayant une réservation un jour donné"),
    ALL: _l("Toutes les familles"),
}
MESSAGE_MAX = 5000


class BroadcastForm(FlaskForm):
    target = RadioField(_l("Destinataires"),
                        choices=[SelectChoice(k, v) for k, v in TARGET_LABELS.items()],
                        default=SCHOOL,
                        validators=[DataRequired(_l("Choisissez les destinataires."))])
    family = HiddenField()
    school = SelectField(_l("École"), validate_choice=False)
    class_name = SelectField(_l("Classe"), validate_choice=False)
    activity = SelectField(_l("Activité"), validate_choice=False)
    day = DayField(_l("Jour"), validators=[Optional()])
    subject = StringField(_l("Objet"), validators=[DataRequired(REQUIRED), Length(max=150)],
                          render_kw={"maxlength": 150})
    body = TextAreaField(_l("Message"), validators=[DataRequired(REQUIRED),
                                                    Length(max=MESSAGE_MAX)],
                         render_kw={"rows": 8, "maxlength": MESSAGE_MAX})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schools, classes = schools_and_classes()
        self.school.choices = [SelectChoice("", _l("Choisir une école"))] + [
            SelectChoice(s, s) for s in schools]
        self.class_name.choices = [SelectChoice("", _l("Choisir une classe"))] + [
            SelectChoice(f"{s}{CLASS_SEPARATOR}{c}", f"{c} — {s}") for s, c in classes]
        self.activity.choices = [SelectChoice("", _l("Toutes les activités"))] + [
            SelectChoice(str(a.id), a.name) for a in Activity.ordered()]
        self.chosen_family = None
        self.chosen_activity = None

    def validate(self, extra_validators=None):
        """Each target needs its own choice, said next to the field that lacks it."""
        if not super().validate(extra_validators):
            return False
        target = self.target.data
        needs = {SCHOOL: (self.school, _l("Choisissez une école.")),
                 CLASS: (self.class_name, _l("Choisissez une classe.")),
                 ACTIVITY: (self.activity, _l("Choisissez une activité.")),
                 DAY: (self.day, _l("Saisissez le jour des réservations."))}
        if target in needs and not needs[target][0].data:
            needs[target][0].errors.append(needs[target][1])
            return False
        for field in (self.school, self.class_name, self.activity):
            if field.data and field.data not in {choice.value for choice in field.choices}:
                field.errors.append(_l("Ce choix n'est pas dans la liste."))
                return False
        if self.activity.data and target in (ACTIVITY, DAY):
            self.chosen_activity = db.session.get(Activity, int(self.activity.data))
        if target == FAMILY:
            family_id = int(self.family.data) if (self.family.data or "").isdigit() else None
            self.chosen_family = db.session.get(Family, family_id) if family_id else None
            if self.chosen_family is None:
                self.target.errors.append(_l("Écrivez à une famille depuis sa fiche."))
                return False
        return True

    def target_value(self):
        return {SCHOOL: self.school.data, CLASS: self.class_name.data}.get(self.target.data, "")


@bp.route("/messages/ecrire", methods=["GET", "POST"])
def new_broadcast():
    form = BroadcastForm()
    family = None
    if request.method == "GET" and request.args.get("famille", type=int):
        family = db.session.get(Family, request.args.get("famille", type=int)) or abort(404)
        form.target.data, form.family.data = FAMILY, str(family.id)
    if form.validate_on_submit():
        broadcast = start_broadcast(
            current_user, form.subject.data, form.body.data, form.target.data,
            value=form.target_value(),
            family_id=form.chosen_family.id if form.chosen_family else None,
            activity_id=form.chosen_activity.id if form.chosen_activity else None,
            day=form.day.data if form.target.data == DAY else None)
        db.session.commit()
        flash(_("Message enregistré : son envoi commence."), "success")
        return redirect(url_for("admin.broadcast", broadcast_id=broadcast.id))
    if family is None and (form.family.data or "").isdigit():
        family = db.session.get(Family, int(form.family.data))
    status = form_status()
    return render_page("admin/messages/new.html", form=form, family=family,
                       broadcasts=Broadcast.recent()), status


@bp.get("/messages/envois/<int:broadcast_id>")
def broadcast(broadcast_id):
    found = db.session.get(Broadcast, broadcast_id) or abort(404)
    return render_page("admin/messages/broadcast.html", block="progress", broadcast=found,
                       target=target_in_words(found))


@bp.get("/messages/envois/<int:broadcast_id>/courriers.pdf")
def broadcast_letters(broadcast_id):
    found = db.session.get(Broadcast, broadcast_id) or abort(404)
    if not found.finished:
        abort(404)
    families = found.letter_families()
    if not families:
        flash(_("Toutes les familles de ce message l'ont reçu par email : aucun courrier à "
                "imprimer."), "info")
        return redirect(url_for("admin.broadcast", broadcast_id=found.id))
    return pdf_download("admin/messages/letters_pdf.html", "letters-pdf.css",
                        f"courriers-message-{found.id}.pdf", broadcast=found,
                        families=families, town=current_town())


def target_in_words(broadcast):
    school, class_name = broadcast.school_and_class
    activity = broadcast.activity.name if broadcast.activity else None
    if broadcast.target == FAMILY:
        return _("la famille %(name)s", name=broadcast.family.name if broadcast.family else "—")
    if broadcast.target == SCHOOL:
        return _("les familles de l'école %(school)s", school=school)
    if broadcast.target == CLASS:
        return _("les familles de la classe %(class_name)s (%(school)s)",
                 class_name=class_name, school=school)
    if broadcast.target == ACTIVITY:
        return _("les familles inscrites à %(activity)s", activity=activity or "—")
    if broadcast.target == DAY and activity:
        return _("les familles ayant une réservation %(day)s à %(activity)s",
                 day=period_in_words(broadcast.day, broadcast.day), activity=activity)
    if broadcast.target == DAY:
        return _("les familles ayant une réservation %(day)s",
                 day=period_in_words(broadcast.day, broadcast.day))
    return _("toutes les familles")
