"""Dates, periods and names in words, in the reader's language. A planning page says
the same dates many times: they are formatted once per language."""
from datetime import UTC
from functools import lru_cache

from babel import dates
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from blueprints.common.caching import locale_key
from blueprints.common.words import planning_words
from models.clock import PARIS

# The patterns are words of our catalogue (a language orders a date its own way); each
# formatted value is kept per language with its pattern translated once, so a page that
# says a hundred dates looks the locale up once per date and translates nothing.
PATTERNS = {"day": _l("EEEE d MMMM"), "moment": _l("EEEE d MMMM 'à' HH:mm"),
            "short moment": _l("EEE d/M 'à' HH:mm"), "short day": _l("EEE d/M")}


@lru_cache(maxsize=8192)
def _format_day(day, pattern, locale):
    # Called in a request whose language is locale: str() translates into it.
    return dates.format_date(day, str(PATTERNS[pattern]), locale=locale)


@lru_cache(maxsize=8192)
def _format_moment(moment, pattern, locale):
    return dates.format_datetime(moment.replace(tzinfo=UTC), str(PATTERNS[pattern]),
                                 tzinfo=PARIS, locale=locale)


def day_in_words(day):
    """'lundi 7 septembre'."""
    return _format_day(day, "day", locale_key())


def moment_in_words(moment):
    """A naive-UTC datetime as Paris time in words: 'mardi 8 septembre à 10:00'."""
    return _format_moment(moment, "moment", locale_key())


def short_moment(moment):
    """A naive-UTC datetime as Paris time, short: 'jeu. 3/12 à 10:00'."""
    return _format_moment(moment, "short moment", locale_key())


def short_day(day):
    """'lun. 7/9', as in the planning's column titles."""
    return _format_day(day, "short day", locale_key())


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
    count = getattr(request, "count", 1)  # several taps in one email (a Bundle)
    when = moment_in_words(request.submitted_at)
    if count > 1 or request.action is None:
        return planning_words()["requests"][f"grouped_{kind}"] % {"num": count, "when": when}
    return planning_words()["requests"][kind][request.action] % {"when": when}


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
