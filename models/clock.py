"""Time helpers: the database stores naive UTC; people read Europe/Paris local time."""
import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow():
    """Current time as naive UTC, the form every DateTime column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_paris(moment):
    """A naive-UTC datetime as an aware Europe/Paris datetime."""
    return moment.replace(tzinfo=UTC).astimezone(PARIS)


def paris_to_utc(local):
    """A naive Europe/Paris wall-clock datetime as naive UTC."""
    return local.replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def paris_today():
    """Today's date in Europe/Paris, the day the service and the families live in."""
    return to_paris(utcnow()).date()


_test_clock = None


def start_test_clock(environ=os.environ):
    """`PORTAIL_TEST_TODAY=YYYY-MM-DD` (or YYYY-MM-DDTHH:MM, Paris time) runs the portal
    as if today were that day, only under PORTAIL_ENV=testing. The first process to start
    fixes the moment it left from (PORTAIL_TEST_CLOCK_ORIGIN) so that the web servers and
    workers it starts agree with it to the second."""
    global _test_clock
    spec = environ.get("PORTAIL_TEST_TODAY")
    if _test_clock is not None or not spec or environ.get("PORTAIL_ENV") != "testing":
        return
    import time_machine  # a test dependency (requirements-dev.txt)

    real_now = time.time()
    origin = float(environ.setdefault("PORTAIL_TEST_CLOCK_ORIGIN", repr(real_now)))
    wall = datetime.fromisoformat(spec)
    if len(spec) <= 10:  # a date alone: keep the real time of day
        wall = datetime.combine(wall.date(), datetime.fromtimestamp(origin, PARIS).time())
    destination = wall.replace(tzinfo=PARIS) + timedelta(seconds=real_now - origin)
    _test_clock = time_machine.travel(destination, tick=True)
    _test_clock.start()
