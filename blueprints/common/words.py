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
# Whole phrases for each action, never a noun glued into a sentence: French elides
# ("demande d'absence") and other languages order words their own way.
REQUEST_PHRASES = {
    "title": {RESERVE: _l("Demande de réservation du %(when)s"),
              ABSENCE: _l("Demande d'absence du %(when)s")},
    "received": {RESERVE: _l("Nous avons bien reçu votre demande de réservation, envoyée le "
                             "%(when)s :"),
                 ABSENCE: _l("Nous avons bien reçu votre demande d'absence, envoyée le "
                             "%(when)s :")},
    "decided": {RESERVE: _l("Votre demande de réservation envoyée le %(when)s a été traitée :"),
                ABSENCE: _l("Votre demande d'absence envoyée le %(when)s a été traitée :")},
}


def planning_words():
    key = f"planning_words_{get_locale()}"
    words = g.get(key)
    if words is None:
        words = {"states": {k: str(v) for k, v in STATES.items()},
                 "verbs": {k: str(v) for k, v in VERBS.items()},
                 "nouns": {k: str(v) for k, v in NOUNS.items()},
                 "requests": {kind: {k: str(v) for k, v in phrases.items()}
                              for kind, phrases in REQUEST_PHRASES.items()}}
        setattr(g, key, words)
    return words
