"""Pages: rendering a whole page or its htmx fragment, the navigation, the language,
the town, a parent's own rows, and the error pages."""
from functools import lru_cache

from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block

from extensions import db
from models import Town
from models.db_tools import by_id

# The portal's navigation for parents; an entry shows once its area exists.
PARENT_NAV = [
    ("home.index", _l("Accueil")),
    ("planning.index", _l("Activités")),
    ("family.index", _l("Ma famille")),
    ("planning.requests", _l("Mes demandes")),
    ("billing.index", _l("Facturation")),
    ("documents.index", _l("Documents")),
    ("info.contact", _l("Nous contacter")),
    ("info.guide", _l("Guide")),
    ("info.misc", _l("Infos diverses")),
    ("info.rules", _l("Règlement intérieur")),
]


def select_locale():
    """French unless the person chose another language of ours (cookie set by the footer)."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    user = current_user._get_current_object() if current_user else None
    if user is not None and user.is_authenticated and user.locale in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def wants_fragment():
    """An htmx request for part of a page (not a history restore, not the whole body)."""
    headers = request.headers
    return (headers.get("HX-Request") == "true"
            and headers.get("HX-Request-Type") == "partial"
            and headers.get("HX-History-Restore-Request") != "true")


def render_page(template, block="content", **context):
    """The whole page, or only its `block` when htmx asks for a fragment."""
    if wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)


def fixed_url(endpoint, **values):
    """url_for for an address that is the same in every request (a static file, a page
    without parameters), built once per process: every page's layout links to some
    twenty, each a routing lookup."""
    return _fixed_url(current_app._get_current_object(), request.script_root, endpoint,
                      tuple(sorted(values.items())))


@lru_cache(maxsize=256)
def _fixed_url(_app, _script_root, endpoint, values):
    return url_for(endpoint, **dict(values))


def own_or_404(model, row_id, *options):
    """A row (with a `family_id`) of the logged-in parent's family; another family's
    row, or no row, is a 404: its existence is never disclosed."""
    # By primary key: a row already in the session costs no query.
    if not row_id:
        row = None
    elif options:
        row = db.session.get(model, row_id, options=options)
    else:
        row = by_id(model, row_id)
    if row is None or row.family_id != current_user.family.id:
        abort(404)
    return row


def form_status():
    """A form page answered to a POST is a form sent back with its errors: 422."""
    return 422 if request.method == "POST" else 200


def render_alert(message, status=400, full_page_template="errors/error.html", **context):
    """An error that htmx shows in the page's alert area, or a full error page."""
    if request.headers.get("HX-Request") == "true":
        body = render_template("_alert.html", message=message, level="error")
        return body, status, {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"}
    return render_template(full_page_template, message=message, status=status,
                           **context), status


ERRORS = {
    400: _l("La demande n'a pas pu être comprise. Rechargez la page puis recommencez."),
    403: _l("Vous n'avez pas accès à cette page."),
    404: _l("Cette page n'existe pas ou n'est pas accessible avec votre compte."),
    405: _l("Cette action n'est pas possible ici."),
    413: _l("Le fichier ou le formulaire envoyé est trop volumineux."),
    429: _l("Trop de tentatives. Patientez quelques minutes avant de réessayer."),
    500: _l("Une erreur est survenue de notre côté. Réessayez dans un instant ; "
            "si elle persiste, contactez le service enfance."),
}


def error_handler(status):
    def handle(_error):
        return render_alert(ERRORS[status], status=status)

    return handle


def current_town():
    if "town" not in g:
        g.town = Town.current()
    return g.town
