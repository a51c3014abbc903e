"""Admins only: the facts of the accessibility statement (the « Accessibilité » page)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from blueprints.admin.blueprint import bp
from blueprints.common.fields import DayField
from blueprints.common.pages import form_status, render_page
from extensions import db
from models import AccessibilityStatement
from models.accessibility import FULL, NOT_COMPLIANT, PARTIAL
from security import admin_only

CONFORMANCE_CHOICES = [(NOT_COMPLIANT, _l("Non conforme")),
                       (PARTIAL, _l("Partiellement conforme")),
                       (FULL, _l("Totalement conforme"))]


class AccessibilityForm(FlaskForm):
    conformance = SelectField(_l("État de conformité au RGAA 4.1"), choices=CONFORMANCE_CHOICES)
    rate = StringField(_l("Taux de critères respectés"), validators=[Length(max=40)],
                       description=_l("Par exemple « 78 % », tel que l'audit l'a mesuré."))
    non_accessible = TextAreaField(_l("Contenus non accessibles"),
                                   validators=[Length(max=5000)])
    audit_date = DayField(_l("Date de l'audit"), validators=[Optional()])
    audit_method = TextAreaField(_l("Méthode de l'audit"), validators=[Length(max=2000)],
                                 description=_l("Qui l'a mené, sur quelles pages, avec quels "
                                                "outils et technologies d'assistance."))
    contact = TextAreaField(_l("Contact pour signaler un défaut d'accessibilité"),
                            validators=[Length(max=1000)],
                            description=_l("Laissé vide : l'adresse et le téléphone du "
                                           "service enfance."))


@bp.route("/accessibilite", methods=["GET", "POST"])
@admin_only
def accessibility_statement():
    statement = AccessibilityStatement.current()
    form = AccessibilityForm(obj=statement)
    if form.validate_on_submit():
        form.populate_obj(statement)
        for name in ("rate", "non_accessible", "audit_method", "contact"):
            setattr(statement, name, (getattr(statement, name) or "").strip())
        db.session.add(statement)
        db.session.commit()
        flash(_("La déclaration d'accessibilité est à jour."), "success")
        return redirect(url_for("admin.accessibility_statement"))
    return render_page("admin/accessibility.html", form=form), form_status()
