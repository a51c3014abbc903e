"""The words of the planning, translated once per process and language: a page with a
hundred cells says "Non réservé" a hundred times."""
from types import SimpleNamespace

from flask import g, has_request_context, request
from flask_babel import format_currency, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from blueprints.common.caching import locale_key
from models.billing import UNRESERVED_FIXED, UNRESERVED_FULL, LateTerms
from models.deadlines import CLEAR_DAYS, DAYS_BEFORE, HOURS_BEFORE, MONTH_BEFORE, WEEK_BEFORE
from models.holiday_centres import WINDOW_CLOSED, WINDOW_NOT_OPEN
from models.late import REFUSE as LATE_REFUSE
from models.late import STAFF, SUBMITTED, SURCHARGE
from models.period import IN_PROGRESS, NOT_RESERVED, ON_WAITING_LIST
from models.planning import (
    ABSENCE,
    ABSENT,
    CLOSED,
    LEAVE,
    NONE,
    NOT_ON_THAT_WEEKDAY,
    PENDING_ABSENCE,
    PENDING_LEAVE,
    PENDING_RESERVATION,
    PUBLIC_HOLIDAY,
    RESERVE,
    RESERVED,
    SCHOOL_DAY,
    SCHOOL_HOLIDAY,
    WAITING,
)
from models.requests import (
    ACCEPTED,
    FULL,
    LATE,
    NOT_ENROLLED,
    REFUSED,
    TOO_EARLY,
    UNDONE,
    WAITLISTED,
)
from models.undo import ALREADY_UNDONE, CHANGED, NO_PLACE, NOT_UNDOABLE, NOT_YOURS, TOO_LATE

STATES = {
    NONE: _l("Non réservé"), RESERVED: _l("Réservé"), ABSENT: _l("Absent"),
    PENDING_RESERVATION: _l("Réservation en attente"), PENDING_ABSENCE: _l("Absence en attente"),
    WAITING: _l("En liste d'attente"), PENDING_LEAVE: _l("Sortie de la liste d'attente en cours"),
}
VERBS = {RESERVE: _l("Réserver"), ABSENCE: _l("Signaler une absence"),
         LEAVE: _l("Quitter la liste d'attente")}
NOUNS = {RESERVE: _l("réservation"), ABSENCE: _l("absence"), LEAVE: _l("sortie de liste d'attente")}
# Whole phrases for each action, never a noun glued into a sentence: French elides
# ("demande d'absence") and other languages order words their own way.
REQUEST_PHRASES = {
    "title": {RESERVE: _l("Demande de réservation du %(when)s"),
              ABSENCE: _l("Demande d'absence du %(when)s"),
              LEAVE: _l("Sortie de liste d'attente du %(when)s")},
    "received": {RESERVE: _l("Nous avons bien reçu votre demande de réservation, envoyée le "
                             "%(when)s :"),
                 ABSENCE: _l("Nous avons bien reçu votre demande d'absence, envoyée le "
                             "%(when)s :"),
                 LEAVE: _l("Nous avons bien reçu votre demande de sortie de la liste "
                           "d'attente, envoyée le %(when)s :")},
    "decided": {RESERVE: _l("Votre demande de réservation envoyée le %(when)s a été traitée :"),
                ABSENCE: _l("Votre demande d'absence envoyée le %(when)s a été traitée :"),
                LEAVE: _l("Votre demande de sortie de la liste d'attente envoyée le %(when)s "
                          "a été traitée :")},
    # Several taps in one email (models/email_batches.py), whatever their actions.
    "grouped_received": _l("Nous avons bien reçu vos %(num)s demandes, envoyées à partir du "
                           "%(when)s :"),
    "grouped_decided": _l("Vos %(num)s demandes envoyées à partir du %(when)s ont été "
                          "traitées :"),
}
# Why a request could not be taken back (models/undo.py).
UNDO_REFUSALS = {
    TOO_LATE: _l("Il est trop tard pour annuler cette demande : le délai de 15 minutes ou la "
                 "date limite est passé."),
    ALREADY_UNDONE: _l("Cette demande a déjà été annulée."),
    NOT_UNDOABLE: _l("Cette demande ne peut pas être annulée ici : contactez le service "
                     "enfance."),
    CHANGED: _l("Cette case a changé depuis la demande : rien n'a été annulé."),
    NOT_YOURS: _l("Cette demande a été faite par un autre responsable : lui seul peut "
                  "l'annuler."),
    NO_PLACE: _l("La place a été donnée entre-temps à un autre enfant (complet) : l'absence "
                 "reste enregistrée."),
}


# Why a line was refused, by the reason the job stored (models/requests.py); "late" says
# its deadline (%(deadline)s), "too early" when the day opens.
REFUSALS = {
    LATE: _l("hors délai : la date limite était le %(deadline)s"),
    TOO_EARLY: _l("trop tôt : les réservations de ce jour ouvrent le %(deadline)s"),
    WINDOW_NOT_OPEN: _l("inscriptions pas encore ouvertes pour ces vacances : elles ouvrent "
                        "le %(deadline)s"),
    WINDOW_CLOSED: _l("inscriptions closes pour ces vacances : elles ont fermé le "
                      "%(deadline)s"),
    NOT_ENROLLED: _l("votre enfant n'est pas inscrit à cette activité pour cette année "
                     "scolaire"),
    FULL: _l("complet : il n'y a plus de place ce jour-là"),
    PUBLIC_HOLIDAY: _l("jour férié : l'activité n'a pas lieu"),
    SCHOOL_HOLIDAY: _l("vacances scolaires : l'activité n'a pas lieu"),
    SCHOOL_DAY: _l("l'activité n'a lieu que pendant les vacances scolaires"),
    CLOSED: _l("fermeture exceptionnelle : l'activité n'a pas lieu ce jour-là"),
    NOT_ON_THAT_WEEKDAY: _l("l'activité n'a pas lieu ce jour de la semaine"),
}
# Why the long-period form skips a day (models/period.py), in the preview.
SKIPS = {
    NOT_ON_THAT_WEEKDAY: _l("l'activité n'a pas lieu ce jour-là"),
    PUBLIC_HOLIDAY: _l("jours fériés"),
    SCHOOL_HOLIDAY: _l("vacances scolaires"),
    SCHOOL_DAY: _l("jours d'école (l'activité n'a lieu que pendant les vacances)"),
    CLOSED: _l("fermetures exceptionnelles"),
    NOT_ENROLLED: _l("pas d'inscription pour cette année scolaire"),
    IN_PROGRESS: _l("une demande est déjà en cours"),
    NOT_RESERVED: _l("pas de réservation à annuler"),
    ON_WAITING_LIST: _l("déjà en liste d'attente"),
}
ALREADY_DONE = {RESERVE: _l("déjà réservé"), ABSENCE: _l("absence déjà signalée")}
# The undo button of a cell, by whether its request is still pending.
UNDO_BUTTONS = {True: _l("Annuler ma demande"), False: _l("Revenir en arrière")}
OUTCOMES = {ACCEPTED: _l("acceptée"), REFUSED: _l("refusée"), None: _l("en attente"),
            WAITLISTED: _l("en liste d'attente"),
            SUBMITTED: _l("hors délai, soumise au service : vous recevrez sa décision par "
                          "email"), UNDONE: _l("annulée")}


# The codes the models store, by name, for templates to compare with (booking.state ==
# states.PENDING_ABSENCE) instead of repeating string literals.
states = SimpleNamespace(NONE=NONE, RESERVED=RESERVED, ABSENT=ABSENT,
                         PENDING_RESERVATION=PENDING_RESERVATION,
                         PENDING_ABSENCE=PENDING_ABSENCE, WAITING=WAITING,
                         PENDING_LEAVE=PENDING_LEAVE)
reasons = SimpleNamespace(LATE=LATE, TOO_EARLY=TOO_EARLY, NOT_ENROLLED=NOT_ENROLLED,
                          WINDOW_NOT_OPEN=WINDOW_NOT_OPEN, WINDOW_CLOSED=WINDOW_CLOSED,
                          FULL=FULL,
                          PUBLIC_HOLIDAY=PUBLIC_HOLIDAY, SCHOOL_HOLIDAY=SCHOOL_HOLIDAY,
                          SCHOOL_DAY=SCHOOL_DAY,
                          CLOSED=CLOSED, NOT_ON_THAT_WEEKDAY=NOT_ON_THAT_WEEKDAY)


def _translated(words):
    # Our own catalogue's words (no user input): printed as they are, as Jinja's own
    # gettext does, in HTML and text alike.
    return {key: Markup(str(value)) for key, value in words.items()}  # noqa: S704


# Per language, for the life of the process: the catalogues never change while it
# runs, and translating these seventy words cost a tap more than a millisecond.
_WORDS_BY_LOCALE = {}


def planning_words():
    key = locale_key()
    words = _WORDS_BY_LOCALE.get(key)
    if words is None:
        words = {"states": _translated(STATES), "verbs": _translated(VERBS),
                 "nouns": _translated(NOUNS), "refusals": _translated(REFUSALS),
                 "skips": _translated(SKIPS), "already": _translated(ALREADY_DONE),
                 "outcomes": _translated(OUTCOMES),
                 "undo": _translated(UNDO_REFUSALS),
                 "undo_buttons": _translated(UNDO_BUTTONS),
                 "requests": {kind: ({k: str(v) for k, v in phrases.items()}
                                     if isinstance(phrases, dict) else str(phrases))
                              for kind, phrases in REQUEST_PHRASES.items()}}
        _WORDS_BY_LOCALE[key] = words
    return words


# Per language and number of minutes: a page of taps says « encore 15 min » many times.
_MINUTES_LEFT = {}


def minutes_left_words(minutes):
    """« encore 12 min », on the undo button of a cell (models/undo.py minutes_left)."""
    key = (locale_key(), minutes)
    words = _MINUTES_LEFT.get(key)
    if words is None:
        words = _MINUTES_LEFT[key] = Markup(ngettext(  # noqa: S704 (our catalogue's words)
            "encore %(num)d min", "encore %(num)d min", minutes))
    return words


# -- Late requests (models/late.py) ----------------------------------------------------

late_policies = SimpleNamespace(REFUSE=LATE_REFUSE, SURCHARGE=SURCHARGE, STAFF=STAFF,
                                SUBMITTED=SUBMITTED)


def surcharge_in_words(terms):
    """« majoration de 50 % », « prix fixe de 8,00 € », « tarif habituel »."""
    if terms is None:
        terms = late_terms()
    if terms.pricing == UNRESERVED_FIXED and terms.fixed_price is not None:
        return _("prix fixe de %(price)s", price=format_currency(terms.fixed_price, "EUR"))
    if terms.pricing == UNRESERVED_FULL:
        return _("tarif habituel, sans majoration")
    return _("majoration de %(rate)s %%", rate=format_decimal(terms.percent))


def late_terms():
    """The surcharge's terms, read once per request (or job: each has its own app
    context). Keyed on the request too: a test's app context outlives its requests."""
    key = id(request._get_current_object()) if has_request_context() else None
    cached = g.get("late_terms")
    if cached is None or cached[0] != key:
        cached = g.late_terms = (key, LateTerms.current())
    return cached[1]


def late_tap_words(policy, action, terms=None):
    """What a late tap would do, said on the cell before the tap."""
    if policy == STAFF:
        return _("Hors délai : sera soumis au service")
    if policy == SURCHARGE and action == ABSENCE:
        return _("Hors délai : le jour restera facturé")
    if policy == SURCHARGE:
        return _("Hors délai : %(surcharge)s", surcharge=surcharge_in_words(terms))
    return ""


def late_outcome_words(line):
    """A line accepted past its deadline, in the decision email and Mes demandes."""
    if line.late_rule == STAFF:
        return _("acceptée hors délai par le service")
    if line.action == ABSENCE:
        return _("acceptée hors délai : le jour reste facturé")
    return _("acceptée hors délai avec %(surcharge)s", surcharge=surcharge_in_words(None))


def late_policy_in_words(policy, action, terms=None):
    """The late policy of an action, for the rules page."""
    if policy == STAFF:
        return (_("Une réservation hors délai est soumise au service, qui l'accepte ou la "
                  "refuse ; sa décision vous est envoyée par email.") if action == RESERVE
                else _("Une annulation hors délai est soumise au service, qui l'accepte ou "
                       "la refuse ; sa décision vous est envoyée par email. Acceptée, le "
                       "jour reste facturé comme réservé."))
    if policy == SURCHARGE:
        return (_("Une réservation hors délai est acceptée jusqu'au début de l'activité, "
                  "facturée avec %(surcharge)s.", surcharge=surcharge_in_words(terms))
                if action == RESERVE
                else _("Une annulation hors délai est acceptée jusqu'au début de "
                       "l'activité, mais le jour reste facturé comme réservé."))
    return (_("Une réservation hors délai est refusée.") if action == RESERVE
            else _("Une annulation hors délai est refusée : le jour reste réservé et "
                   "facturé."))


# The deadline kinds (models/deadlines.py), by name, for the rules in words.
deadline_kinds = SimpleNamespace(DAYS_BEFORE=DAYS_BEFORE, HOURS_BEFORE=HOURS_BEFORE,
                                 WEEK_BEFORE=WEEK_BEFORE, MONTH_BEFORE=MONTH_BEFORE,
                                 CLEAR_DAYS=CLEAR_DAYS)
