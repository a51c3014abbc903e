"""The home page's "Évolution de vos dernières informations" is a registry: each area
registers a counter (how many things changed for the family since a moment, its label,
and the page that lists them), in a few lines next to its own views:

    @home_counter("documents.index", _l("Documents examinés"), position=30)
    def reviewed_documents(family_id, since):
        return Document.reviewed_since(family_id, since)

A counter gives the SELECT of its number, not the number: the home page runs all of them
in one statement (a statement costs far more in Python than its few rows in SQL).
A counter shows only when its page exists in the app, as the navigation does.
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomeCounter:
    endpoint: str
    label: str
    count: Callable[..., object]  # (family_id, since) -> SELECT of one count
    position: int


HOME_COUNTERS = []


def home_counter(endpoint, label, position=100):
    """Register `count(family_id, since) -> SELECT count(...)` as a counter of the home
    page, shown as "label : number", a link to `endpoint`; counters are listed by `position`."""

    def register(count):
        HOME_COUNTERS.append(HomeCounter(endpoint, label, count, position))
        HOME_COUNTERS.sort(key=lambda counter: counter.position)
        return count

    return register


# name -> count(family_id, today) -> SELECT count(...): the number behind a notice an
# area shows on the home page (the re-enrollment one), run with the counters so that a
# page with nothing to notice costs no statement more.
HOME_NOTICES = {}


def home_notice(name):
    """Register the number behind the home page's notice `name`: the template gets it as
    notices[name] and shows the notice (reading what it says) only when it is not 0."""

    def register(count):
        HOME_NOTICES[name] = count
        return count

    return register
