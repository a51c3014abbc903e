"""The words of the planning, translated once per request and language: a page with a
hundred cells says "Non réservé" a hundred times."""
from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from models.planning import (
    ABSENCE,
    ABSENT,
    NONE,
    PENDING_ABSENCE,
    PENDING_RESERVATION,
    RESERVE,
    RESERVED,
)

STATES = {
    NONE: _l("Non réservé"), RESERVED: _l("Réservé"), ABSENT: _l("Absent"),
    PENDING_RESERVATION: _l("Réservation en attente"), PENDING_ABSENCE: _l("Absence en attente"),
}
VERBS = {RESERVE: _l("Réserver"), ABSENCE: _l("Signaler une absence")}
NOUNS = {RESERVE: _l("réservation"), ABSENCE: _l("absence")}


def planning_words():
    key = f"planning_words_{get_locale()}"
    words = g.get(key)
    if words is None:
        words = {"states": {k: str(v) for k, v in STATES.items()},
                 "verbs": {k: str(v) for k, v in VERBS.items()},
                 "nouns": {k: str(v) for k, v in NOUNS.items()}}
        setattr(g, key, words)
    return words
