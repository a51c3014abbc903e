"""Accounts: registration with the subscriber code, login, logout, lost password,
change of password and of email. Section 1 of the user's guide."""
from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from blueprints.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    LanguageForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from blueprints.auth.throttle import login_limits, remember_device
from blueprints.common.pages import form_status, render_page
from extensions import db, limiter
from jobs.emails import external_url, queue_email
from models import Family, User
from models.clock import utcnow
from models.db_tools import begin_write
from models.passwords import waste_time_like_a_verification
from models.tokens import (
    CHANGE_EMAIL,
    CONFIRM_ACCOUNT,
    RESET_PASSWORD,
    STAFF_INVITE,
    TokenError,
    make_token,
    read_token,
)
from models.user import normalize_email
from security import current_session, end_session, safe_next, start_session

bp = Blueprint("auth", __name__)

INVALID = 422  # a form sent back with its errors


def _failed(response):
    return response.status_code >= 400


def _email_key():
    return "account:" + normalize_email(request.form.get("email") or request.form.get("new_email"))


# Failed logins: see throttle.py (per account and address, growing delays; known
# devices get through).
mail_limits = [
    limiter.limit("10 per hour", methods=["POST"]),
    limiter.limit("3 per hour", methods=["POST"], key_func=_email_key),
]


def _limited(limits):
    def decorate(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorate


def landing_url(user):
    return url_for("admin.index") if user.is_staff else url_for("home.index")


@bp.route("/connexion", methods=["GET", "POST"])
@_limited(login_limits)
def login():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm()
    unconfirmed = False
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user is None:
            waste_time_like_a_verification(form.password.data)
        elif user.check_password(form.password.data) and user.is_active:
            if user.is_confirmed:
                start_session(user, remember=form.remember.data)
                return remember_device(
                    redirect(safe_next(request.args.get("next")) or landing_url(user)),
                    user.email)
            unconfirmed = True
        db.session.commit()  # a rehashed password is kept
        if not unconfirmed:
            form.form_errors.append(_("Adresse email ou mot de passe incorrect."))
    status = form_status()
    return render_page("auth/login.html", form=form, unconfirmed=unconfirmed,
                       resend_form=EmailOnlyForm(data={"email": form.email.data})), status


@bp.post("/deconnexion")
def logout():
    end_session()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=_failed)
def register():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        family = Family.by_subscriber_code(form.subscriber_code.data)
        if family is None:
            form.subscriber_code.errors.append(_(
                "Ce code abonné n'est pas reconnu. Vérifiez-le sur le courrier du service "
                "enfance (les tirets et espaces sont facultatifs)."))
        else:
            guardian, reason = family.guardian_for_registration(form.first_name.data,
                                                                form.last_name.data)
            if reason == "used":
                form.subscriber_code.errors.append(_(
                    "Ce code abonné a déjà servi à créer le compte de ce responsable. "
                    "Connectez-vous, ou contactez le service enfance."))
            elif reason == "no_match":
                form.last_name.errors.append(_(
                    "Ces nom et prénom ne correspondent à aucun responsable de ce dossier. "
                    "Saisissez-les comme sur le courrier du service enfance."))
            else:
                _create_account(form, guardian)
                return redirect(url_for("auth.registered"))
    status = form_status()
    return render_page("auth/register.html", form=form), status


def _create_account(form, guardian):
    """Create the unconfirmed account, or warn the owner if the address is taken.

    Both cases lead to the same page, so the form does not tell who has an account.
    """
    email = normalize_email(form.email.data)
    existing = User.by_email(email)
    if existing is not None:
        queue_email(existing.email, "account_exists", _l("Tentative de création de compte"),
                    user=existing, login_url=external_url("auth.login"),
                    reset_url=external_url("auth.forgot_password"))
        db.session.commit()
        return
    if guardian.user is not None:  # an abandoned registration frees its guardian
        db.session.delete(guardian.user)
        db.session.flush()
    user = User(email=email, civility=form.civility.data, first_name=form.first_name.data.strip(),
                last_name=form.last_name.data.strip(), guardian=guardian)
    user.set_password(form.password.data)
    db.session.add(user)
    db.session.flush()
    _send_confirmation(user)
    db.session.commit()


def _send_confirmation(user):
    token = make_token(CONFIRM_ACCOUNT, [user.id, user.email])
    queue_email(user.email, "confirm_account", _l("Confirmez la création de votre compte"),
                user=user, confirm_url=external_url("auth.confirm", token=token))


@bp.get("/inscription/envoyee")
def registered():
    return render_page("auth/registered.html", resend_form=EmailOnlyForm())


@bp.get("/inscription/confirmer/<token>")
def confirm(token):
    try:
        user_id, email = read_token(CONFIRM_ACCOUNT, token)
    except TokenError as error:
        return render_page("auth/confirm.html", problem=error.reason,
                           resend_form=EmailOnlyForm()), 400
    begin_write()  # a GET that writes: the lock first (models/db_tools.py)
    user = db.session.get(User, user_id)
    if user is None or user.email != email:
        return render_page("auth/confirm.html", problem="invalid",
                           resend_form=EmailOnlyForm()), 400
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
        db.session.commit()
    return render_page("auth/confirm.html", problem=None, user=user)


@bp.post("/inscription/renvoyer")
@_limited(mail_limits)
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user is not None and not user.is_confirmed:
            _send_confirmation(user)
            db.session.commit()
        flash(_("Si un compte en attente de confirmation existe pour cette adresse, un nouveau "
                "lien vient de lui être envoyé. Il est valable 48 heures."), "success")
        return redirect(url_for("auth.registered"))
    return render_page("auth/registered.html", resend_form=form), INVALID


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@_limited(mail_limits)
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data)
        if user is not None:
            token = make_token(RESET_PASSWORD, [user.id, user.password_fingerprint()])
            queue_email(user.email, "reset_password", _l("Choisir un nouveau mot de passe"),
                        user=user, reset_url=external_url("auth.reset_password", token=token))
            db.session.commit()
        return render_page("auth/forgot_password.html", form=form, sent=True)
    status = form_status()
    return render_page("auth/forgot_password.html", form=form, sent=False), status


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user_id, fingerprint = read_token(RESET_PASSWORD, token, STAFF_INVITE)
    except TokenError as error:
        return render_page("auth/reset_password.html", problem=error.reason), 400
    user = db.session.get(User, user_id)
    if user is None or user.password_fingerprint() != fingerprint:
        # The password changed since the link was sent: the link was used already.
        return render_page("auth/reset_password.html", problem="used"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        user.confirmed_at = user.confirmed_at or utcnow()  # the mailbox is proven
        user.revoke_sessions()
        _notify_password_changed(user)
        db.session.commit()
        flash(_("Votre mot de passe a été modifié. Connectez-vous avec le nouveau."), "success")
        return redirect(url_for("auth.login"))
    status = form_status()
    return render_page("auth/reset_password.html", form=form, problem=None), status


def _notify_password_changed(user):
    queue_email(user.email, "password_changed", _l("Votre mot de passe a été modifié"),
                user=user, reset_url=external_url("auth.forgot_password"))


@bp.get("/compte")
@login_required
def account():
    return render_page("auth/account.html", password_form=ChangePasswordForm(),
                       email_form=ChangeEmailForm())


@bp.post("/compte/mot-de-passe")
@login_required
@limiter.limit("10 per hour", deduct_when=_failed)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            current_user.set_password(form.password.data)
            current_user.revoke_sessions(keep=current_session())
            _notify_password_changed(current_user)
            db.session.commit()
            flash(_("Votre mot de passe a été modifié. Vos autres appareils ont été "
                    "déconnectés."), "success")
            return redirect(url_for("auth.account"))
        form.current_password.errors.append(_("Le mot de passe actuel est incorrect."))
    return render_page("auth/account.html", password_form=form,
                       email_form=ChangeEmailForm()), INVALID


@bp.post("/compte/email")
@login_required
@limiter.limit("10 per hour", deduct_when=_failed)
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        new_email = normalize_email(form.new_email.data)
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Le mot de passe actuel est incorrect."))
        elif new_email == current_user.email:
            form.new_email.errors.append(_("C'est déjà l'adresse de votre compte."))
        else:
            _send_email_change(current_user, new_email)
            db.session.commit()
            flash(_("Un lien de confirmation a été envoyé à %(email)s. Votre adresse changera "
                    "quand vous l'aurez ouvert.", email=new_email), "success")
            return redirect(url_for("auth.account"))
    return render_page("auth/account.html", password_form=ChangePasswordForm(),
                       email_form=form), INVALID


def _send_email_change(user, new_email):
    if User.by_email(new_email) is not None:
        # Say nothing here about who owns that address; tell its owner instead.
        queue_email(new_email, "email_in_use", _l("Changement d'adresse email"),
                    login_url=external_url("auth.login"))
        return
    token = make_token(CHANGE_EMAIL, [user.id, new_email, user.password_fingerprint()])
    queue_email(new_email, "confirm_new_email", _l("Confirmez votre nouvelle adresse email"),
                user=user, confirm_url=external_url("auth.confirm_email_change", token=token))


@bp.get("/compte/email/<token>")
def confirm_email_change(token):
    try:
        user_id, new_email, fingerprint = read_token(CHANGE_EMAIL, token)
    except TokenError as error:
        return render_page("auth/email_changed.html", problem=error.reason), 400
    begin_write()  # a GET that writes: the lock first (models/db_tools.py)
    user = db.session.get(User, user_id)
    if user is None or user.password_fingerprint() != fingerprint:
        return render_page("auth/email_changed.html", problem="invalid"), 400
    if user.email != new_email:
        if User.by_email(new_email) is not None:
            return render_page("auth/email_changed.html", problem="taken"), 400
        old_email = user.email
        user.email = new_email
        queue_email(old_email, "email_changed", _l("L'adresse email de votre compte a changé"),
                    user=user, new_email=new_email)
        db.session.commit()
    return render_page("auth/email_changed.html", problem=None, new_email=new_email)


@bp.post("/langue")
def set_language():
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else None
    target = safe_next(request.form.get("next")) or url_for("auth.login")
    response = make_response(redirect(target))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return response
