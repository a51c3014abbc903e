"""Issue 14's figures: a parent on a 360×740 phone books canteen (« Restauration
scolaire ») Monday to Friday for two children next week, starting from Activités.
Counts the taps, the screens scrolled to reach every cell, and the emails it brings
(with a real `rq worker` deciding). Uses the test suite's fixtures (SQLite, private
Redis, SMTP sink, Debian's Chromium):

    PYTHONPATH=. .venv/bin/pytest bench/phone_week.py -p tests.conftest -p tests.e2e.conftest -s -q

Prints the figures; BENCHMARKS.md keeps them.
"""
import json
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, func, select

from extensions import db
from models import Booking
from tests.e2e.conftest import fill_login
from tests.helpers import activity, child, school_weeks_ahead

SCREEN = 740


# Emails grouped as in production (the tests' default is 0: each tap's own at once).
WINDOW_SECONDS = 120


class Scroll:
    """The pixels scrolled to bring each button into view, one after the other."""

    def __init__(self, page):
        self.page, self.pixels = page, 0
        self.last_y = page.evaluate("window.scrollY")

    def to(self, locator):
        locator.scroll_into_view_if_needed()
        y = self.page.evaluate("window.scrollY")
        self.pixels += abs(y - self.last_y)
        self.last_y = y


@pytest.fixture
def grouped(app):
    app.config["EMAIL_GROUP_SECONDS"] = WINDOW_SECONDS
    yield
    app.config["EMAIL_GROUP_SECONDS"] = 0


@pytest.mark.parametrize("way", ["cell by cell", "toute la semaine"])
def test_book_next_week_for_two_children(phone, planning, rq_worker, mailbox, grouped, way):
    canteen = activity("Restauration scolaire")
    monday = school_weeks_ahead(canteen, weeks_ahead=1)
    # The demo family already eats at the canteen on its usual days: that week starts
    # blank, as for a family that has not booked it yet.
    db.session.execute(delete(Booking).where(
        Booking.activity_id == canteen.id,
        Booking.day.between(monday, monday + timedelta(days=6))))
    db.session.commit()
    fill_login(phone, *planning.PARENT)
    expect(phone.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
    weeks_away = 0
    phone.goto("/activites")  # the Activités tab, as a parent opens it
    taps = 0
    # « Semaine prochaine », then › until the first week with every canteen day open.
    title = phone.locator("#planning-title")

    def move(name):
        before = title.inner_text()
        phone.get_by_role("link", name=name).click()
        expect(title).not_to_have_text(before)

    move("Semaine prochaine")
    taps += 1
    while not phone.locator(f"#day-{monday.isoformat()}").count():
        move("Période suivante")
        taps += 1
        weeks_away += 1
    mailbox.clear()
    scroll = Scroll(phone)
    booked = 0
    if way == "toute la semaine":
        # One tap opens « Réserver toute la semaine », one per child books its week.
        summary = phone.get_by_text("Réserver toute la semaine")
        scroll.to(summary)
        summary.click()
        taps += 1
        for name in ("Léa", "Hugo"):
            button = phone.get_by_role("button", name=f"{name} — Restauration scolaire")
            scroll.to(button)
            button.click()
            taps += 1
            expect(phone.locator(".planning__said")).to_contain_text(name)
    for offset in range(5 if way == "cell by cell" else 0):
        day = monday.fromordinal(monday.toordinal() + offset)
        for name in ("Léa", "Hugo"):
            cell = phone.locator(f"#cell-{child(name).id}-{canteen.id}-{day:%Y%m%d}")
            if not cell.count():
                continue
            button = cell.get_by_role("button", name="Réserver")
            if not button.count():
                continue  # already reserved (the demo books some days)
            scroll.to(button)
            button.click()
            taps += 1
            booked += 1
            expect(cell).to_contain_text("Réserv")
    # Every request decided: each cell settles, then the emails have gone.
    started = time.monotonic()
    pending = phone.locator(".cell--pending_reservation")
    while pending.count() and time.monotonic() - started < 120:
        phone.wait_for_timeout(500)
    settled_after = round(time.monotonic() - started, 1)
    still_pending = pending.count()
    # The emails wait for the window after the last tap: RQ's scheduler (the worker runs
    # --with-scheduler) sends the batch then.
    while len(mailbox.to(planning.PARENT[0])) < 2 and time.monotonic() - started < 240:
        time.sleep(1)
    emails_after = round(time.monotonic() - started, 1)
    time.sleep(5)
    emails = mailbox.to(planning.PARENT[0])
    if way == "toute la semaine":
        db.session.rollback()
        booked = db.session.scalar(select(func.count(Booking.id)).where(
            Booking.activity_id == canteen.id, Booking.state == "reserved",
            Booking.day.between(monday, monday + timedelta(days=6))))
    print(json.dumps({"way": way, "viewport": "360x740", "taps": taps,
                      "weeks skipped with ›": weeks_away, "cells booked": booked,
                      "screens scrolled": round(scroll.pixels / SCREEN, 2),
                      "emails": len(emails),
                      "emails after (s)": emails_after,
                      "subjects": [m["Subject"] for m in emails],
                      "all settled after (s)": settled_after,
                      "still pending after 120 s": still_pending,
                      "page height (screens)": round(
                          phone.evaluate("document.documentElement.scrollHeight") / SCREEN, 2)},
                     ensure_ascii=False, indent=2))
