"""Error pages that need nothing but the app itself: no database, no Redis, no
logged-in user. They answer when the database is down (a 503 that says so in French)
and whenever the ordinary error page cannot be rendered, so gunicorn's bare English
page never shows."""
import logging

from flask import current_app, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from extensions import db
from models.storage import is_storage_full

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = _l("Le portail est momentanément indisponible. Réessayez dans une minute : "
                 "ce que vous aviez enregistré est conservé.")
HEADERS = {"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)}


def static_error_page(message, status):
    """errors/static.html in the visitor's chosen language, read from the cookie only
    (choosing it from the account would query the database)."""
    _forget_the_broken_transaction()
    chosen = request.cookies.get("lang")
    with force_locale(chosen if chosen in ("fr", "en") else "fr"):
        # Straight from Jinja: the context processors (the town, the user) read the
        # database.
        template = current_app.jinja_env.get_template("errors/static.html")
        html = template.render(message=str(message), status=status, request=request)
    return html, status, HEADERS


def _forget_the_broken_transaction():
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: nothing to roll back
        log.debug("rollback failed while the database is down", exc_info=True)


def database_down(error):
    log.error("database unreachable: %s", error)
    return static_error_page(UNAVAILABLE, 503)


def safely(handler, message, status):
    """The ordinary error page, or the static one if rendering it fails too."""
    def handle(error):
        try:
            return handler(error)
        except Exception:  # noqa: BLE001 - whatever broke the page, answer in French
            log.exception("the error page %s could not be rendered", status)
            return static_error_page(message, status)

    return handle


STORAGE_FULL = _l("Le portail ne peut pas enregistrer votre fichier : espace de stockage plein. "
                  "Rien n'a été enregistré ; réessayez plus tard ou prévenez le service "
                  "enfance.")


def storage_full_or_500(error):
    """An OSError out of a view: a full disk is said as such (507), anything else is
    the ordinary 500."""
    if not is_storage_full(error):
        raise error
    log.error("storage full: %s", error)
    _forget_the_broken_transaction()
    # As blueprints.render_alert answers (that module imports this one).
    if request.headers.get("HX-Request") == "true":
        return (render_template("_alert.html", message=STORAGE_FULL, level="error"), 507,
                {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"})
    return render_template("errors/error.html", message=STORAGE_FULL, status=507), 507


def init_app(app):
    app.register_error_handler(OSError, storage_full_or_500)
    # The server is gone, restarting or refusing connections (or SQLite stayed locked
    # past its busy timeout): nothing to do but try again shortly.
    app.register_error_handler(OperationalError, database_down)
