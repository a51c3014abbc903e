"""What every request would otherwise rebuild: kept once per process.

Flask-WTF loads WTForms' own translations (a .mo file read and parsed from disk) once per
request that has a form, about 2 ms of a tap. The catalogue depends only on the locale
and never changes while the process runs, so it is parsed once per language.

Flask-Babel finds its per-request namespace (locale, domain) through `g` on every
gettext, get_locale and date format: three or four werkzeug proxy lookups each, several
hundred times on a week page. The same namespace is read from Flask's context variable.
"""
from functools import lru_cache
from types import SimpleNamespace

import flask_babel
import flask_wtf.i18n
from babel import support
from flask import request
from flask.globals import _cv_app
from flask_babel import get_locale
from wtforms.i18n import messages_path


@lru_cache(maxsize=8)
def _wtforms_translations(locale):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _cached_translations():
    if not request:
        return None
    return _wtforms_translations(locale_key())


def _babel_context():
    """What flask_babel._get_current_context returns (g._flask_babel, made on first use;
    None outside an app context), without going through the `g` proxy."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return None
    globals_ = ctx.g
    try:
        return globals_._flask_babel
    except AttributeError:
        globals_._flask_babel = SimpleNamespace()
        return globals_._flask_babel


def locale_key():
    """str(get_locale()), e.g. "fr": the name is kept beside the locale it was made from
    (force_locale swaps the locale, so the name follows)."""
    locale = get_locale()
    context = _babel_context()
    if context is None:
        return str(locale)
    kept = getattr(context, "portail_locale_key", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    key = str(locale)
    context.portail_locale_key = (locale, key)
    return key


def init_app(app):
    # Flask-WTF looks this module function up at each call (flask_wtf.i18n.Translations).
    flask_wtf.i18n._get_translations = _cached_translations
    # Flask-Babel's functions (get_locale, get_domain, get_translations, force_locale)
    # look this module global up at each call; pinned flask-babel 4.0.0.
    flask_babel._get_current_context = _babel_context
