"""A tap is stamped when it reached the server (issue 18): behind a proxy configured
for it, when the proxy received it (X-Request-Start); a client's clock never counts."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from blueprints.common.arrival import StampArrival, proxy_time
from extensions import db
from models import Request, RequestLine
from models.clock import to_paris, utcnow
from models.requests import LATE
from tests.helpers import activity, login, tap, upcoming_day


def test_the_proxy_header_is_read_in_seconds_milliseconds_or_microseconds():
    assert proxy_time("t=1764583200.123") == pytest.approx(1764583200.123)
    assert proxy_time("1764583200123") == pytest.approx(1764583200.123)
    assert proxy_time("t=1764583200123456") == pytest.approx(1764583200.123456)
    for nonsense in (None, "", "t=", "t=abc", "t=nan", "t=-5", "0"):
        assert proxy_time(nonsense) is None


@pytest.fixture
def proxy_trusted(app):
    """The app as deployed behind nginx with TRUST_REQUEST_START=1."""
    stamp = app.wsgi_app
    assert isinstance(stamp, StampArrival)  # the outermost layer
    stamp.trust_proxy_header = True
    yield
    stamp.trust_proxy_header = False


def _deadline_just_passed(day):
    """The activity's deadline for `day` is two seconds ago (to the second)."""
    deadline = utcnow().replace(microsecond=0) - timedelta(seconds=2)
    paris = to_paris(deadline)
    aps = activity("APS Soir")
    aps.deadline_working_days = False
    aps.deadline_days = (day - paris.date()).days
    aps.deadline_time = paris.time()
    db.session.commit()
    return deadline


def _tap_received_seconds_ago(client, day, seconds):
    header = {"X-Request-Start": f"t={time.time() - seconds:.3f}"}
    response = tap(client, "Léa", "APS Soir", day, headers={"HX-Request": "true", **header})
    assert response.status_code == 200
    db.session.expire_all()
    return db.session.scalar(select(Request.submitted_at))


def test_a_tap_the_proxy_received_before_the_deadline_is_accepted(
        client, planning, proxy_trusted, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    deadline = _deadline_just_passed(day)
    # nginx received it 10 s ago; it reaches the view after the deadline.
    submitted_at = _tap_received_seconds_ago(client, day, 10)
    assert submitted_at < deadline
    assert abs((utcnow() - submitted_at).total_seconds() - 10) < 1
    run_jobs()
    line = db.session.scalar(select(RequestLine))
    assert line.reason != LATE and line.outcome == "accepted"


def test_without_a_trusted_proxy_the_header_counts_for_nothing(client, planning, run_jobs):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    deadline = _deadline_just_passed(day)
    before = utcnow()
    submitted_at = _tap_received_seconds_ago(client, day, 10)  # a client's forged header
    assert submitted_at >= before > deadline
    run_jobs()
    assert db.session.scalar(select(RequestLine.reason)) == LATE


@pytest.mark.parametrize("seconds", [600, -30])
def test_a_proxy_time_far_earlier_or_later_than_the_app_is_ignored(
        client, planning, proxy_trusted, seconds):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"))
    before = utcnow()
    submitted_at = _tap_received_seconds_ago(client, day, seconds)
    assert before <= submitted_at <= utcnow()
