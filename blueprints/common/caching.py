"""What every request would otherwise rebuild: kept once per process.

Flask-WTF loads WTForms' own translations (a .mo file read and parsed from disk) once per
request that has a form, about 2 ms of a tap. The catalogue depends only on the locale
and never changes while the process runs, so it is parsed once per language.
"""
from functools import lru_cache

import flask_wtf.i18n
from babel import support
from flask import request
from flask_babel import get_locale
from wtforms.i18n import messages_path


@lru_cache(maxsize=8)
def _wtforms_translations(locale):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _cached_translations():
    if not request:
        return None
    return _wtforms_translations(str(get_locale()))


def init_app(app):
    # Flask-WTF looks this module function up at each call (flask_wtf.i18n.Translations).
    flask_wtf.i18n._get_translations = _cached_translations
