"""Accueil: the parent's home page (section 2 of the guide) and the service's news.

"Évolution de vos dernières informations" is a registry: each area registers a counter
(how many things changed for the family since a moment, its label, and the page that
lists them), in a few lines next to its own views:

    @home_counter("documents.index", _l("Documents examinés"), position=30)
    def reviewed_documents(family_id, since):
        return Document.reviewed_since(family_id, since)

A counter shows only when its page exists in the app, as the navigation does.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from blueprints import render_page
from blueprints.files import send_stored
from extensions import db
from models import ChangeRequest, News, Request
from models.clock import to_paris, utcnow
from models.requests import PROCESSED
from security import parent_required

bp = Blueprint("home", __name__)
bp.before_request(parent_required)

NEWS_ON_HOME = 5
NEWS_PER_PAGE = 20


@dataclass(frozen=True)
class HomeCounter:
    endpoint: str
    label: str
    count: Callable[..., int]
    position: int


HOME_COUNTERS = []


def home_counter(endpoint, label, position=100):
    """Register `count(family_id, since) -> int` as a counter of the home page, shown as
    "label : number", a link to `endpoint`; counters are listed by `position`."""

    def register(count):
        HOME_COUNTERS.append(HomeCounter(endpoint, label, count, position))
        HOME_COUNTERS.sort(key=lambda counter: counter.position)
        return count

    return register


@home_counter("planning.requests", _l("Demandes traitées"), position=10)
def processed_requests(family_id, since):
    return db.session.scalar(select(func.count(Request.id)).where(
        Request.family_id == family_id, Request.status == PROCESSED,
        Request.processed_at > since))


# Tiles of the home page, as in the guide; one shows once its area exists.
HOME_TILES = [
    ("planning.index", _l("Activités")),
    ("family.index", _l("Ma famille")),
    ("billing.index", _l("Espace facturation")),
    ("documents.index", _l("Transmettre un document")),
    ("info.contact", _l("Nous contacter")),
    ("info.guide", _l("Guide d'utilisation")),
    ("info.misc", _l("Infos diverses")),
    ("info.rules", _l("Règlement intérieur")),
]


def previous_visit(user):
    """The start of the parent's previous visit; their account's creation on a first one."""
    return user.previous_login_at or user.created_at


def today():
    return to_paris(utcnow()).date()


@bp.get("/")
def index():
    family = current_user.family
    since = previous_visit(current_user)
    views = current_app.view_functions
    counters = [(counter, counter.count(family.id, since)) for counter in HOME_COUNTERS
                if counter.endpoint in views]
    news = News.visible(today(), limit=NEWS_ON_HOME + 1)
    return render_page("home/index.html", family=family, since=since, counters=counters,
                       news=news[:NEWS_ON_HOME], more_news=len(news) > NEWS_ON_HOME,
                       decisions=ChangeRequest.recent_decisions(family.id, limit=5),
                       pending_count=ChangeRequest.pending_count(family.id),
                       tiles=[(endpoint, label) for endpoint, label in HOME_TILES
                              if endpoint in views])


@bp.get("/actualites")
def news_list():
    page = max(request.args.get("page", 1, type=int), 1)
    rows = News.visible(today(), limit=NEWS_PER_PAGE + 1, offset=(page - 1) * NEWS_PER_PAGE)
    return render_page("home/news_list.html", news=rows[:NEWS_PER_PAGE], page=page,
                       has_more=len(rows) > NEWS_PER_PAGE)


def _visible_news_or_404(news_id):
    item = News.get_visible(news_id, today())
    if item is None:
        abort(404)  # a draft, a scheduled or an expired item is not there for families
    return item


@bp.get("/actualites/<int:news_id>")
def news_item(news_id):
    return render_page("home/news_item.html", item=_visible_news_or_404(news_id))


@bp.get("/actualites/<int:news_id>/piece-jointe")
def news_attachment(news_id):
    return send_stored(_visible_news_or_404(news_id).attachment)
