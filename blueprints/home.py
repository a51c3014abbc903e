"""Accueil: the parent's home page (section 2 of the guide) and the service's news.
Each area registers its counters (blueprints/common/counters.py).
"""
from functools import cache, partial

from flask import Blueprint, abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from blueprints.common import counters as home_counters
from blueprints.common.counters import home_counter
from blueprints.common.files import send_stored
from blueprints.common.pager import page_of
from blueprints.common.pages import render_page
from extensions import db
from models import ChangeRequest, Family, News, Request
from models.clock import paris_today
from models.requests import PROCESSED
from security import parent_required

bp = Blueprint("home", __name__)
bp.before_request(parent_required)

NEWS_ON_HOME = 5
NEWS_PER_PAGE = 20


@home_counter("planning.requests", _l("Demandes traitées"), position=10)
def processed_requests(family_id, since):
    return select(func.count(Request.id)).where(
        Request.family_id == family_id, Request.status == PROCESSED,
        Request.processed_at > since)


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


_NUMBERS = {}


def numbers_statement(counters, notices):
    """The SELECT of the home page's numbers: each counter's, each notice's, how many
    changes of the family file are pending, whether the service decided some lately.
    Built once per set of counters and notices, with parameters, so that SQLAlchemy
    compiles it once, not per visit."""
    key = (tuple((counter.endpoint, counter.position, counter.count) for counter in counters),
           tuple(notices.items()))
    if key not in _NUMBERS:
        family_id, since, today = bindparam("family_id"), bindparam("since"), bindparam("today")
        _NUMBERS[key] = select(
            *(counter.count(family_id, since).scalar_subquery() for counter in counters),
            *(count(family_id, today).scalar_subquery() for count in notices.values()),
            ChangeRequest.pending_number(family_id).scalar_subquery(),
            ChangeRequest.has_recent_decisions(family_id, bindparam("shown_after")))
    return _NUMBERS[key]


@cache  # built once, with a parameter: compiled once
def family_members():
    return select(Family).where(Family.id == bindparam("family_id")).options(
        joinedload(Family.children), joinedload(Family.guardians))


@bp.get("/")
def index():
    family = current_user.family
    since = previous_visit(current_user)
    views = current_app.view_functions
    shown = [counter for counter in home_counters.HOME_COUNTERS if counter.endpoint in views]
    notices = home_counters.HOME_NOTICES
    today = paris_today()
    # Every number of the page in one statement, and the decisions only if there are any.
    *numbers, pending_count, has_decisions = db.session.execute(
        numbers_statement(shown, notices),
        {"family_id": family.id, "since": since, "today": today,
         "shown_after": ChangeRequest.decisions_shown_after()}).one()
    news = News.visible(today, limit=NEWS_ON_HOME + 1)
    # The children and guardians the page lists, in one statement rather than a lazy load
    # each from the template (they fill the family already in the session).
    db.session.execute(family_members(), {"family_id": family.id}).unique().all()
    return render_page("home/index.html", family=family, since=since,
                       counters=list(zip(shown, numbers[:len(shown)], strict=True)),
                       notices=dict(zip(notices, numbers[len(shown):], strict=True)),
                       news=news[:NEWS_ON_HOME], more_news=len(news) > NEWS_ON_HOME,
                       decisions=ChangeRequest.recent_decisions(family.id, limit=5)
                       if has_decisions else [],
                       pending_count=pending_count,
                       tiles=[(endpoint, label) for endpoint, label in HOME_TILES
                              if endpoint in views])


@bp.get("/actualites")
def news_list():
    shown = page_of(partial(News.visible, paris_today()), NEWS_PER_PAGE)
    return render_page("home/news_list.html", news=shown.rows, **shown.context)


def _visible_news_or_404(news_id):
    item = News.get_visible(news_id, paris_today())
    if item is None:
        abort(404)  # a draft, a scheduled or an expired item is not there for families
    return item


@bp.get("/actualites/<int:news_id>")
def news_item(news_id):
    return render_page("home/news_item.html", item=_visible_news_or_404(news_id))


@bp.get("/actualites/<int:news_id>/piece-jointe")
def news_attachment(news_id):
    return send_stored(_visible_news_or_404(news_id).attachment)
