"""Accueil: what changed since the previous visit, the service's news (visible by their
dates, Markdown sanitised), and the tiles to every area."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, literal, select

from blueprints.common import counters as home_counters
from extensions import db
from models import Child, Document, Family, News, Request, StoredFile, User, UserSession
from models.clock import paris_today, utcnow
from models.documents import ACCEPTED
from models.requests import PROCESSED, RECEIVED
from tests.helpers import body, login, page, submit

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def martin():
    return db.session.scalar(select(Family).where(Family.name == "MARTIN"))


def parent_user(demo):
    """The parent's account as stored now (what the app wrote, not what the test holds)."""
    return db.session.scalar(select(User).where(User.email == demo.PARENT[0])
                             .execution_options(populate_existing=True))


def add_request(status=PROCESSED, processed_at=None):
    db.session.add(Request(family_id=martin().id, action="reserve", status=status,
                           submitted_at=utcnow(), processed_at=processed_at))
    db.session.commit()


def add_reviewed_document(reviewed_at):
    stored = StoredFile(storage_key=f"test-{reviewed_at.timestamp()}", file_name="caf.pdf",
                        content_type="application/pdf", size=10)
    db.session.add(Document(family_id=martin().id, kind="caf", file=stored, status=ACCEPTED,
                            reviewed_at=reviewed_at))
    db.session.commit()


today = paris_today  # Paris time, moved by PORTAIL_TEST_TODAY


COUNTER_RE = re.compile(r'<a href="([^"]+)"><span class="counter__label">([^<]+)</span> '
                        r'<span class="counter__value">(\d+)</span></a>')


def counters(html):
    """{label: (number, link)} as the parent reads them on the home page."""
    return {label: (int(number), link) for link, label, number in COUNTER_RE.findall(html)}


def test_counters_tell_what_changed_since_the_previous_visit(client, demo):
    login(client, *demo.PARENT)
    first = page(client, "/")
    assert "Évolution de vos dernières informations" in first
    assert "Depuis la création de votre compte" in first  # the very first visit
    before = counters(first)
    assert before["Demandes traitées"] == (0, "/mes-demandes")
    assert before["Documents examinés"] == (0, "/documents")
    assert before["Réponses à vos messages"] == (1, "/nous-contacter")  # the demo's

    # While the parent is away: two requests are processed, one still waits, and a
    # document is reviewed. One request was processed before the last visit.
    add_request(processed_at=parent_user(demo).last_login_at - timedelta(minutes=5))
    add_request(processed_at=utcnow())
    add_request(processed_at=utcnow())
    add_request(status=RECEIVED)
    add_reviewed_document(utcnow())

    assert submit(client, "/", {}, post_url="/deconnexion").status_code == 302
    login(client, *demo.PARENT)
    second = page(client, "/")
    assert "Depuis votre dernière visite, le" in second
    after = counters(second)
    assert after["Demandes traitées"][0] == 2
    assert after["Documents examinés"][0] == 1
    assert after["Réponses à vos messages"][0] == 0

    submit(client, "/", {}, post_url="/deconnexion")
    login(client, *demo.PARENT)
    assert counters(page(client, "/"))["Demandes traitées"][0] == 0


def test_a_remembered_session_coming_back_later_is_a_new_visit(client, demo, app):
    login(client, *demo.PARENT, remember=True)
    user = parent_user(demo)
    hours_ago = utcnow() - timedelta(hours=5)
    user.last_login_at = hours_ago
    db.session.execute(db.update(UserSession).where(UserSession.user_id == user.id)
                       .values(last_seen_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    add_request(processed_at=utcnow() - timedelta(hours=4))

    html = page(client, "/")  # three hours later, the cookie still logs the parent in
    assert counters(html)["Demandes traitées"][0] == 1
    assert parent_user(demo).previous_login_at == hours_ago
    # Moving on within the same visit changes nothing.
    assert counters(page(client, "/"))["Demandes traitées"][0] == 1


def test_counters_show_only_areas_that_exist(parent_client, monkeypatch):
    monkeypatch.setattr(home_counters, "HOME_COUNTERS", list(home_counters.HOME_COUNTERS))
    register = home_counters.home_counter
    register("nowhere.index", "Trésors cachés", position=40)(lambda *_: select(literal(7)))
    register("auth.account", "Comptes à vérifier", position=20)(lambda *_: select(literal(3)))
    shown = counters(page(parent_client, "/"))
    assert "Trésors cachés" not in shown  # its area does not exist
    # An area that exists shows its counter, in the order of the positions.
    assert list(shown) == ["Demandes traitées", "Modifications du dossier traitées",
                           "Comptes à vérifier", "Documents examinés", "Nouvelles factures",
                           "Réponses à vos messages"]
    assert shown["Comptes à vérifier"] == (3, "/compte")


def test_home_has_the_tiles_of_the_guide(parent_client):
    html = page(parent_client, "/")
    for label, url in [("Activités", "/activites"), ("Nous contacter", "/nous-contacter"),
                       ("Guide d'utilisation", "/guide"), ("Infos diverses", "/infos-diverses"),
                       ("Règlement intérieur", "/reglement-interieur"),
                       ("Transmettre un document", "/documents"),
                       ("Espace facturation", "/facturation/")]:
        assert f'<a class="tile" href="{url}">{label}</a>' in html


def news(title, published=True, starts=0, ends=None, body_text="Texte."):
    item = News(title=title, body=body_text, published=published,
                publish_on=today() + timedelta(days=starts),
                publish_until=None if ends is None else today() + timedelta(days=ends))
    db.session.add(item)
    db.session.commit()
    return item


def test_news_are_shown_by_their_dates_newest_first(client, demo):
    db.session.execute(db.delete(News))  # without the demo's own news
    db.session.commit()
    old = news("Ancienne mais en ligne", starts=-30)
    recent = news("Toute récente", starts=0, ends=0)
    draft = news("Brouillon", published=False, starts=-1)
    scheduled = news("Programmée", starts=2)
    expired = news("Expirée", starts=-10, ends=-1)
    login(client, *demo.PARENT)

    html = page(client, "/")
    assert html.index("Toute récente") < html.index("Ancienne mais en ligne")
    assert today().strftime("%d/%m/%Y") in html
    for hidden in ("Brouillon", "Programmée", "Expirée"):
        assert hidden not in html
    assert "Texte." in page(client, f"/actualites/{recent.id}")
    assert client.get(f"/actualites/{old.id}").status_code == 200
    for item in (draft, scheduled, expired):
        assert client.get(f"/actualites/{item.id}").status_code == 404
    # The scheduled item shows up on its day, and the expired one is gone for good.
    assert [n.title for n in News.visible(today() + timedelta(days=2), 10)] == [
        "Programmée", "Ancienne mais en ligne"]


def test_news_text_is_markdown_without_any_script(client, other_client, demo):
    login(client, *demo.AGENT)
    text = ("**Important** : lisez *ceci*.\n\n<script>alert('x')</script>\n\n"
            "<img src=x onerror=alert(1)> [piège](javascript:alert(1)) "
            "<a href=\"https://mairie.example.org\" onclick=\"alert(1)\">site</a>\n\n"
            "<iframe src=\"https://evil.example\"></iframe><style>body{}</style>")
    response = submit(client, "/admin/actualites/nouvelle",
                      {"title": "Sortie <b>scolaire</b>", "body": text,
                       "publish_on": today().isoformat(), "save_and_publish": "1"})
    assert response.status_code == 302
    item = db.session.scalar(select(News).where(News.title == "Sortie <b>scolaire</b>"))

    login(other_client, *demo.PARENT)
    html = other_client.get(f"/actualites/{item.id}").get_data(as_text=True)
    assert "<strong>Important</strong>" in html and "<em>ceci</em>" in html
    assert "Sortie &lt;b&gt;scolaire&lt;/b&gt;" in html
    article = html[html.index('<div class="rich-text">'):]
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "<img"):
        assert bad not in article, bad
    assert 'href="https://mairie.example.org"' in article


def test_news_list_pages_and_fragment(parent_client):
    for number in range(25):
        news(f"Actualité numéro {number:02d}", starts=-number)
    first = page(parent_client, "/actualites")
    assert "Actualité numéro 00" in first and "Actualité numéro 24" not in first
    assert "Actualité numéro 24" in page(parent_client, "/actualites?page=2")
    home_html = page(parent_client, "/")
    assert "Toutes les actualités" in home_html and "Actualité numéro 05" not in home_html
    fragment = body(parent_client.get("/", headers=HTMX))
    assert "<html" not in fragment and "Évolution de vos dernières informations" in fragment


@pytest.fixture
def count_queries(app):
    counted = []  # the SQL of each statement

    def record(_connection, _cursor, statement, *_args):
        counted.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield counted
    event.remove(engine, "before_cursor_execute", record)


def test_home_page_queries_are_bounded(parent_client, count_queries):
    page(parent_client, "/")
    few = len(count_queries)
    for number in range(10):
        news(f"Encore une {number}")
        add_request(processed_at=utcnow())
    count_queries.clear()
    page(parent_client, "/")
    assert len(count_queries) == few


def test_home_page_counts_in_one_statement_whatever_the_family(parent_client,
                                                                count_queries):
    page(parent_client, "/")
    # Its counters, the pending changes and whether decisions wait: one statement.
    counting = [sql for sql in count_queries if "count(" in sql and "FROM requests" in sql]
    assert len(counting) == 1
    assert all(f"FROM {table}" in counting[0]
               for table in ("documents", "invoices", "contact_messages", "change_requests"))
    few = len(count_queries)
    family = martin()
    family.children.append(Child(first_name="Zoé", last_name="MARTIN", class_name="CP"))
    db.session.commit()
    count_queries.clear()
    html = page(parent_client, "/")
    assert "Zoé" in html and len(count_queries) == few
