"""Staff accounts (admins only): agents and admins, invited by email."""
import secrets

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.admin.blueprint import bp
from blueprints.common.forms import REQUIRED, ConfirmForm, email_field
from blueprints.common.pages import form_status, render_page
from extensions import db
from jobs.emails import external_url, queue_email
from models import AuditEvent, User
from models.clock import utcnow
from models.tokens import STAFF_INVITE, make_token
from models.user import ROLE_ADMIN, ROLE_BILLING, ROLE_PARENT, ROLE_STAFF, normalize_email
from security import admin_only

ROLE_CHOICES = [SelectChoice(ROLE_STAFF, _l("Agent du service enfance")),
                SelectChoice(ROLE_BILLING, _l("Régisseur (facturation)")),
                SelectChoice(ROLE_ADMIN, _l("Administrateur"))]


class StaffForm(FlaskForm):
    email = email_field()
    first_name = StringField(_l("Prénom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=80)])
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES)


class RoleForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES)


@bp.route("/equipe", methods=["GET", "POST"])
@admin_only
def staff():
    form = StaffForm()
    if form.validate_on_submit():
        if User.by_email(form.email.data) is not None:
            form.email.errors.append(_("Un compte existe déjà avec cette adresse."))
        else:
            user = User(email=normalize_email(form.email.data), role=form.role.data,
                        first_name=form.first_name.data.strip(),
                        last_name=form.last_name.data.strip(), confirmed_at=utcnow())
            user.set_password(secrets.token_urlsafe(32))  # replaced through the invite
            db.session.add(user)
            db.session.flush()
            token = make_token(STAFF_INVITE, [user.id, user.password_fingerprint()])
            queue_email(user.email, "staff_invite", _l("Votre compte sur le Portail Famille"),
                        user=user, invite_url=external_url("auth.reset_password", token=token))
            AuditEvent.record(current_user, "staff.created", user, role=user.role)
            db.session.commit()
            flash(_("Compte créé : une invitation a été envoyée à %(email)s.",
                    email=user.email), "success")
            return redirect(url_for("admin.staff"))
    members = db.session.scalars(select(User).where(User.role != ROLE_PARENT)
                                 .order_by(User.last_name, User.email)).all()
    status = form_status()
    return render_page("admin/staff.html", form=form, members=members, role_form=RoleForm(),
                       confirm_form=ConfirmForm()), status


def _member_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.role == ROLE_PARENT:
        abort(404)
    if user.id == current_user.id:
        abort(403)  # an admin does not demote or switch off their own account
    return user


@bp.post("/equipe/<int:user_id>/role")
@admin_only
def staff_role(user_id):
    user = _member_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    user.role = form.role.data
    user.revoke_sessions()  # the new rights apply from the next login
    AuditEvent.record(current_user, "staff.role_changed", user, role=user.role)
    db.session.commit()
    flash(_("Rôle modifié."), "success")
    return redirect(url_for("admin.staff"))


@bp.post("/equipe/<int:user_id>/acces")
@admin_only
def staff_access(user_id):
    user = _member_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user.disabled_at = None if user.disabled_at else utcnow()
    user.revoke_sessions()
    AuditEvent.record(current_user, "staff.enabled" if user.is_active else "staff.disabled",
                      user)
    db.session.commit()
    flash(_("Compte réactivé.") if user.is_active else _("Compte désactivé."), "success")
    return redirect(url_for("admin.staff"))
