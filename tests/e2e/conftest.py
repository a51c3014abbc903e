"""Browser tests: Debian's Chromium driven by Playwright against the app served on
loopback, with the same database, Redis and SMTP server as the other tests."""
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
# The machine running the suite may be busy (two cores): assertions wait up to 15 s.
expect.set_options(timeout=15_000)
PHONE = {"width": 360, "height": 740}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path():
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(),
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors and CSP violations: a page that logs one is broken."""

    def __init__(self, page):
        self.errors = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def phone(browser, live_server):
    context, page, problems = _page(browser, live_server, PHONE)
    yield page
    context.close()
    assert problems.errors == [], problems.errors


def _page(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page, PageProblems(page)


@pytest.fixture
def desktop(browser, live_server):
    context, page, problems = _page(browser, live_server, {"width": 1280, "height": 900})
    yield page
    context.close()
    assert problems.errors == [], problems.errors


@pytest.fixture
def tablet(browser, live_server):
    context, page, problems = _page(browser, live_server, {"width": 768, "height": 1024})
    yield page
    context.close()
    assert problems.errors == [], problems.errors


@pytest.fixture
def rq_worker():
    """A real `rq worker` process, as `make run` starts it, for pages that wait on jobs."""
    rq = Path(sys.executable).parent / "rq"
    process = subprocess.Popen(
        [str(rq), "worker", "--with-scheduler", "-w", "jobs.worker.Worker",
         "--url", os.environ["REDIS_URL"], "portail-high", "portail"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield process
    process.terminate()
    process.wait(timeout=15)


def fill_login(page, email, password):
    page.goto("/connexion")
    page.get_by_label("Adresse email").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
