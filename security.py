"""Sessions, roles, CSRF answers and security headers, for every route."""
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from extensions import db, login_manager
from models import UserSession
from models.clock import utcnow
from models.db_tools import begin_write

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    # Our UserSession rows do what Flask-Login's session protection would.
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, csrf_failed)


def load_user(token):
    """Flask-Login hands us the session token from the cookie (see User.get_id)."""
    row = UserSession.find_active(token)
    if row is None or not row.user.is_active:
        return None
    if row.needs_touch(utcnow()):
        begin_write()
        row.touch(utcnow())
        db.session.commit()
    g.user_session = row
    row.user.session_token = token
    return row.user


def start_session(user, remember=False):
    """Log user in on a fresh session row (the old cookie content is dropped)."""
    session.clear()
    row, token = UserSession.start(user, remember=remember,
                                   user_agent=request.headers.get("User-Agent", ""))
    user.record_login(utcnow())
    db.session.commit()
    g.user_session = row
    user.session_token = token
    login_user(user, remember=remember, duration=current_app.config["REMEMBER_COOKIE_DURATION"])


def end_session():
    row = current_session()
    if row is not None:
        row.revoke()
        db.session.commit()
    logout_user()
    session.clear()


def current_session():
    """The UserSession row of this request (loading the user if not done yet)."""
    if current_user.is_authenticated:
        return g.get("user_session")
    return None


def is_htmx():
    return request.headers.get("HX-Request") == "true"


def unauthorized():
    target = url_for("auth.login", next=safe_next(request.full_path))
    if is_htmx():
        # htmx follows HX-Redirect with a full page load of the login form.
        return "", 401, {"HX-Redirect": target}
    flash(login_manager.login_message, "info")
    return redirect(target)


def safe_next(url):
    """Only a path on this site may be a redirect target (no open redirect)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return None
    return url.rstrip("?") or None


def staff_required():
    """before_request of the admin blueprint: staff and admins only."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    return None


def admin_only(view):
    """For views of the admin area that configure the town: admins, not agents."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def parent_required():
    """before_request of the parents' blueprints: a logged-in guardian of a family."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.is_staff:
        return redirect(url_for("admin.index"))
    if current_user.family is None:
        abort(403)
    return None


def no_store(view):
    """For pages and fragments with health or bank data: no cache keeps a copy."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


def never_stored(response):
    """after_request of the areas where every page holds health or bank data."""
    response.headers["Cache-Control"] = "no-store"
    return response


def csrf_failed(error):
    from blueprints.common.pages import render_alert

    message = _l("Cette page a expiré ou le formulaire n'est plus valide. Rechargez la page "
                 "puis recommencez : rien n'a été enregistré.")
    return render_alert(message, status=400, full_page_template="errors/csrf.html")


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if current_app.config["HSTS"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # One URL serves a full page or an htmx fragment: caches must keep them apart.
    response.vary.add("HX-Request")
    user = g.get("_login_user")  # set only if this request loaded a user
    if user is not None and user.is_authenticated and "Cache-Control" not in headers:
        # Pages of a logged-in person are personal, and most show health, bank or
        # message content: no cache keeps a copy, not even the browser's (a shared
        # canteen tablet must not show them with Back after logout).
        headers["Cache-Control"] = "private, no-store"
    return response
