"""What every area of the site shares: page rendering for full pages and htmx
fragments, the navigation, the language, and the error pages."""
from datetime import UTC
from functools import lru_cache

from babel import dates
from flask import abort, current_app, g, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from blueprints.words import planning_words
from extensions import db
from models import Town
from models.clock import PARIS

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


def own_or_404(model, row_id, *options):
    """A row (with a `family_id`) of the logged-in parent's family; another family's
    row, or no row, is a 404: its existence is never disclosed."""
    row = db.session.scalar(select(model).where(
        model.id == row_id, model.family_id == current_user.family.id).options(*options)
    ) if row_id else None
    if row is None:
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


def _error_handler(status):
    def handle(_error):
        return render_alert(ERRORS[status], status=status)

    return handle


def current_town():
    if "town" not in g:
        g.town = Town.current()
    return g.town


@lru_cache(maxsize=8192)
def _format_day(day, pattern, locale):
    return dates.format_date(day, pattern, locale=locale)


@lru_cache(maxsize=8192)
def _format_moment(moment, pattern, locale):
    return dates.format_datetime(moment.replace(tzinfo=UTC), pattern, tzinfo=PARIS,
                                 locale=locale)


# A planning page says the same dates many times: they are formatted once per language.
def day_in_words(day):
    """'lundi 7 septembre'."""
    return _format_day(day, _("EEEE d MMMM"), str(get_locale()))


def moment_in_words(moment):
    """A naive-UTC datetime as Paris time in words: 'mardi 8 septembre à 10:00'."""
    return _format_moment(moment, _("EEEE d MMMM 'à' HH:mm"), str(get_locale()))


def short_day(day):
    """'lun. 7/9', as in the planning's column titles."""
    return _format_day(day, _("EEE d/M"), str(get_locale()))


def period_in_words(first, last, short=False):
    """'le jeudi 3 décembre' for one day, else 'du jeudi 3 décembre au vendredi 4
    décembre'; short: 'le 03/12/2026', 'du 03/12/2026 au 04/12/2026'."""
    words = (lambda day: format_date(day, "short")) if short else day_in_words
    if first == last:
        return _("le %(day)s", day=words(first))
    return _("du %(first)s au %(last)s", first=words(first), last=words(last))


def request_phrase(kind, request):
    """A request in a sentence: kind is "title" (Mes demandes), "received" (the receipt)
    or "decided" (the decision email); one whole phrase per action (see words.py)."""
    phrase = planning_words()["requests"][kind][request.action]
    return phrase % {"when": moment_in_words(request.submitted_at)}


def upper_first(text):
    """'Mardi 8 décembre': only the first letter (Jinja's capitalize lowers the rest,
    CSS capitalize raises every word)."""
    text = str(text)
    return text[:1].upper() + text[1:]


def formal_name(user):
    """How an email greets a person: civility and names as the family file spells
    them. Each language orders them (English drops the French civility)."""
    civility, first_name, last_name = user.names_on_file
    return " ".join(_("%(civility)s %(first_name)s %(last_name)s", civility=civility,
                      first_name=first_name, last_name=last_name).split())


# Flask-Babel's "short" and "long" dates follow the locale: in English "11/28/26" and
# "November 28, 2026". Day first in every language of ours (French is already so).
DATE_FORMATS = {"date.short": "dd/MM/y", "datetime.short": "dd/MM/y HH:mm",
                "date.long": "d MMMM y"}


def init_app(app):
    from blueprints.common import outages

    for status in ERRORS:
        # If the page itself cannot be rendered (the database is down), a static one.
        app.register_error_handler(status, outages.safely(_error_handler(status),
                                                          ERRORS[status], status))
    outages.init_app(app)
    from blueprints.files import file_size
    from blueprints.rich_text import render_markdown

    app.jinja_env.filters.update(day_in_words=day_in_words, moment_in_words=moment_in_words,
                                 short_day=short_day, markdown=render_markdown,
                                 filesize=file_size, upper_first=upper_first,
                                 formal_name=formal_name)
    app.jinja_env.globals.update(period_in_words=period_in_words, request_phrase=request_phrase)
    app.extensions["babel"].instance.date_formats.update(DATE_FORMATS)
    app.jinja_env.globals["planning_words"] = planning_words

    @app.context_processor
    def portal_context():
        return {
            "town": current_town(),
            "current_locale": str(get_locale()),
            "parent_nav": [(endpoint, label) for endpoint, label in PARENT_NAV
                           if endpoint in current_app.view_functions],
        }
