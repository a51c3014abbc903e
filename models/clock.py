"""Time helpers: the database stores naive UTC; people read Europe/Paris local time."""
from datetime import UTC, datetime
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
