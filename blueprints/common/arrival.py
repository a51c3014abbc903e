"""When a request reached the server: what a deadline is judged on.

A tap sent at 9:59:59.9 may wait behind others (a proxy's queue, gunicorn's accept
queue, a busy worker) and reach the view after 10:00: it was submitted before the
deadline all the same. The outermost WSGI layer notes the time it first sees each
request. Behind a reverse proxy configured for it (`TRUSTED_PROXIES` ≥ 1 and
`TRUST_REQUEST_START=1`), the proxy's own time of arrival is taken from its
`X-Request-Start` header (nginx: `proxy_set_header X-Request-Start "t=${msec}";`, which
replaces whatever a client sent). A client's clock is never trusted: without that
setting the header is ignored, and with it a time is only accepted within
`PROXY_LEAD` before the app saw the request and never after it.
"""
import time
from datetime import timedelta

from flask import has_request_context, request

from models.clock import utcnow

ENVIRON_KEY = "portail.arrived_at"
HEADER = "HTTP_X_REQUEST_START"
# How much earlier than the app the proxy may have received a request: longer than any
# queue we would let a request wait in (gunicorn's timeout is 30 s).
PROXY_LEAD = timedelta(seconds=60)


def proxy_time(value):
    """X-Request-Start as a POSIX time in seconds, or None: "t=1764583200.123" (nginx,
    seconds with milliseconds) or "t=1764583200123456" (microseconds, other proxies)."""
    value = (value or "").strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number <= 0:  # NaN, nonsense
        return None
    if number > 1e14:  # microseconds
        return number / 1e6
    if number > 1e11:  # milliseconds
        return number / 1e3
    return number


class StampArrival:
    """WSGI middleware: environ["portail.arrived_at"], a naive-UTC datetime."""

    def __init__(self, wsgi_app, trust_proxy_header=False):
        self.wsgi_app = wsgi_app
        self.trust_proxy_header = trust_proxy_header

    def __call__(self, environ, start_response):
        seen = time.time()
        arrived = seen
        if self.trust_proxy_header:
            stamped = proxy_time(environ.get(HEADER))
            if stamped is not None and seen - PROXY_LEAD.total_seconds() <= stamped <= seen:
                arrived = stamped
        # The app's clock (a test clock may move it) minus the time the request waited.
        environ[ENVIRON_KEY] = utcnow() - timedelta(seconds=time.time() - arrived)
        return self.wsgi_app(environ, start_response)


def arrived_at():
    """When the current request reached the server (now, outside a request)."""
    if has_request_context():
        stamped = request.environ.get(ENVIRON_KEY)
        if stamped is not None:
            return stamped
    return utcnow()


def init_app(app):
    trust = bool(app.config.get("TRUSTED_PROXIES")) and app.config.get("TRUST_REQUEST_START")
    app.wsgi_app = StampArrival(app.wsgi_app, trust_proxy_header=bool(trust))
