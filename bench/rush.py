"""A deadline rush (issue 18), scaled to run in a few minutes on the development machine.

2,000 families of 3 children are in the database; --parents of them (300) log in within
the rush window, look at the week, tap 5 to 9 cells of the same day with think time, and
open the home page. The deadline of that day is set at the end of the window, Paris
time, for the three weekday activities: it is a real deadline, judged by the jobs. While
the parents tap, 2,000 bulk emails (what an invoicing run queues) wait in the bulk queue
and two RQ workers (`portail-high portail`, non-forking `jobs.worker.SimpleWorker` by
default) send them and decide the requests. nginx stands in front of gunicorn (4 workers)
as in production and stamps each request's arrival (X-Request-Start, trusted by the app
with TRUST_REQUEST_START=1): a tap that waited for a gunicorn worker keeps the time it
was sent at. The client is threads over loopback (127.0.0.1 only), one SMTP sink in
this process. `--proxy none --worker-class Worker` runs it as before.

    .venv/bin/python bench/rush.py                       # SQLite
    .venv/bin/python bench/rush.py --database-url postgresql://postgres@127.0.0.1/portail_bench

Prints p50/p95/p99 per endpoint, requests decided per second, the delay from a tap to
its decision and to its decision email (emails grouped per parent as in production,
--group-seconds 120: the email leaves two minutes after her last tap), and whether every
tap sent before the deadline was accepted.
"""
import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

PASSWORD = "mot de passe du rush"
CHILDREN = 3
BULK_EMAILS = 2000


def build_town(db, families):
    """`families` families of 3 children enrolled in the weekday activities, a confirmed
    parent account each (one password hash shared: hashing 2,000 times is not the test)."""
    from sqlalchemy import insert, select

    from models import Activity, Child, Enrollment, Family, Guardian, User
    from models.calendar import school_year_of
    from models.clock import utcnow
    from models.passwords import hash_password

    activities = [a for a in Activity.ordered() if "Mercredi" not in a.name
                  and "JOURNÉE" not in a.name and not a.holidays_only]
    password_hash = hash_password(PASSWORD)
    now = utcnow()
    db.session.execute(insert(Family), [{"name": f"RUSH{n:04d}"} for n in range(families)])
    family_ids = db.session.scalars(select(Family.id).where(Family.name.like("RUSH%"))
                                    .order_by(Family.id)).all()
    db.session.execute(insert(Guardian), [
        {"family_id": fid, "civility": "Mme", "first_name": "Parent", "last_name": f"R{fid}"}
        for fid in family_ids])
    guardians = dict(db.session.execute(select(Guardian.family_id, Guardian.id).where(
        Guardian.family_id.in_(family_ids))).all())
    db.session.execute(insert(User), [
        {"email": f"rush{fid}@example.org", "guardian_id": guardians[fid],
         "password_hash": password_hash, "confirmed_at": now, "created_at": now,
         "password_changed_at": now} for fid in family_ids])
    db.session.execute(insert(Child), [
        {"family_id": fid, "first_name": f"Enfant{i}", "last_name": f"R{fid}",
         "birth_date": date(2017, 1, 1), "planning_colour": i}
        for fid in family_ids for i in range(CHILDREN)])
    children = db.session.execute(select(Child.id, Child.family_id).where(
        Child.family_id.in_(family_ids)).order_by(Child.id)).all()
    years = {school_year_of(date.today()), school_year_of(date.today()) + 1}
    db.session.execute(insert(Enrollment), [
        {"child_id": cid, "activity_id": a.id, "school_year": y}
        for cid, _ in children for a in activities for y in years])
    db.session.commit()
    by_family = {}
    for cid, fid in children:
        by_family.setdefault(fid, []).append(cid)
    return activities, by_family


def rush_day(activities, zone):
    """The first day, at least two weeks ahead, on which the three activities run."""
    from models.planning import PlanningCalendar

    day = date.today() + timedelta(days=14)
    calendar = PlanningCalendar(zone, day, day + timedelta(days=200))
    while not all(calendar.runs(a, day) for a in activities):
        day += timedelta(days=1)
    return day


def set_deadline(db, activities, day, deadline_utc):
    """The day's deadline is `deadline_utc`, for every activity of the rush."""
    from models import Activity
    from models.clock import to_paris
    from models.deadlines import DAYS_BEFORE

    paris = to_paris(deadline_utc)
    # Read again in this session: the objects of build_town() belong to another one,
    # and changing them saved nothing (earlier runs had the demo's deadlines).
    for activity in [db.session.get(Activity, a.id) for a in activities]:
        activity.deadline_kind = DAYS_BEFORE  # the demo's APS Matin counts hours
        activity.capacity = None  # a line refused as full is not what the rush looks at
        activity.cancel_deadline_kind = None
        activity.deadline_working_days = False
        activity.deadline_days = (day - paris.date()).days
        activity.deadline_time = paris.time().replace(microsecond=0)
    db.session.commit()


def queue_bulk_emails(db, count):
    from jobs.emails import queue_email
    from models import Town

    town = Town.current()
    for number in range(count):
        queue_email(f"bulk{number}@example.org", "email_in_use", "Nouvelle facture disponible",
                    town=town, login_url="http://127.0.0.1/")
    db.session.commit()


class Timings:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_endpoint = {}
        self.taps = []  # (sent, received, status, cell)
        self.errors = 0

    def add(self, endpoint, seconds, ok):
        with self.lock:
            self.by_endpoint.setdefault(endpoint, []).append(seconds * 1000)
            self.errors += not ok

    def summary(self):
        out = {}
        for endpoint, samples in sorted(self.by_endpoint.items()):
            samples.sort()
            out[endpoint] = {"requests": len(samples), **{
                f"p{p}": round(samples[min(len(samples) - 1, int(len(samples) * p / 100))], 1)
                for p in (50, 95, 99)}}
        return out


def parent_visit(base, email, cells, day, start_at, deadline, timings, think):
    import requests

    time.sleep(max(0.0, start_at - time.time()))
    session = requests.Session()

    def call(endpoint, method, path, **kwargs):
        began = time.time()
        response = session.request(method, base + path, allow_redirects=False, timeout=60,
                                   **kwargs)
        timings.add(endpoint, time.time() - began, response.status_code < 400)
        return response

    html = call("GET /connexion", "GET", "/connexion").text
    call("POST /connexion", "POST", "/connexion", data={
        "email": email, "password": PASSWORD, "csrf_token": common.csrf_token(html)})
    week = call("GET week page", "GET", f"/activites?vue=semaine&date={day.isoformat()}").text
    token = common.csrf_token(week)
    for child_id, activity_id in cells:
        time.sleep(random.uniform(*think))
        sent = time.time()
        if sent >= deadline:
            break  # too late for this one: the person gave up
        response = call("POST tap", "POST", "/activites/case", data={
            "enfant": child_id, "activite": activity_id, "jour": day.isoformat(),
            "action": "reserve", "etat": "none"},
            headers={"HX-Request": "true", "X-CSRFToken": token})
        with timings.lock:
            timings.taps.append((sent, time.time(), response.status_code))
    call("GET home", "GET", "/")


def start_workers(count, worker_class):
    rq = common.BIN / "rq"
    return [subprocess.Popen(
        # With the scheduler, as production's worker: a batch's emails are a delayed job.
        [str(rq), "worker", "--with-scheduler", "-w", f"jobs.worker.{worker_class}", "--url",
         os.environ["REDIS_URL"],
         "portail-high", "portail"], cwd=common.ROOT, stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(os.environ["PORTAIL_INSTANCE"], f"worker{n}.log"), "w"))
        for n in range(count)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--parents", type=int, default=300)
    parser.add_argument("--window", type=int, default=120, help="seconds until the deadline")
    parser.add_argument("--concurrency", type=int, default=40, help="client threads")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--wait", type=int, default=300, help="seconds to wait for decisions")
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=("SimpleWorker", "Worker"),
                        default="SimpleWorker",
                        help="jobs.worker.SimpleWorker runs jobs in the worker process; "
                             "Worker forks a work horse per job (RQ's default)")
    parser.add_argument("--proxy", choices=("nginx", "none"), default="nginx",
                        help="nginx in front of gunicorn, stamping X-Request-Start "
                             "(TRUSTED_PROXIES=1, TRUST_REQUEST_START=1), as in production")
    parser.add_argument("--group-seconds", type=float, default=120,
                        help="EMAIL_GROUP_SECONDS: taps of a parent this close share their "
                             "two emails (production: 120; 0 sends two emails a tap)")
    args = parser.parse_args()
    os.environ["EMAIL_GROUP_SECONDS"] = str(args.group_seconds)
    if args.proxy == "nginx":
        os.environ.update(TRUSTED_PROXIES="1", TRUST_REQUEST_START="1")
    folder = common.prepare_environment(args.database_url)
    os.environ["MAIL_PORT"] = str(common.free_port())
    redis = common.start_redis(folder)
    import mailsink

    sink = mailsink.serve(os.path.join(folder, "mail"), port=int(os.environ["MAIL_PORT"]))
    try:
        run(args)
    finally:
        sink.stop()
        redis.terminate()


def run(args):
    import demo
    from app import create_app
    from extensions import db
    from models import Town

    app = create_app()
    common.fresh_schema(app)
    with app.app_context():
        demo.load()
        db.session.commit()
        zone = Town.current().holiday_zone
        activities, by_family = build_town(db, args.families)
        day = rush_day(activities, zone)
        activity_ids = [a.id for a in activities]
    chosen = random.Random(18).sample(sorted(by_family), args.parents)
    visits = []
    for fid in chosen:
        cells = [(cid, aid) for cid in by_family[fid] for aid in activity_ids]
        random.shuffle(cells)
        visits.append((f"rush{fid}@example.org", cells[:random.randint(5, len(cells))]))

    with contextlib.ExitStack() as servers:
        url = servers.enter_context(common.gunicorn("app:create_app()", args.web_workers,
                                                    warm_path="/connexion"))
        if args.proxy == "nginx":
            url = servers.enter_context(common.nginx(url))
        with app.app_context():
            queue_bulk_emails(db, BULK_EMAILS)  # the invoicing run's emails, queued first
        # The window starts once they are queued (rendering 2,000 emails takes a while):
        # parents arrive over it, not all at once when it is over.
        start = time.time()
        deadline = start + args.window
        with app.app_context():
            set_deadline(db, activities, day, datetime.utcfromtimestamp(deadline))
        workers = start_workers(args.job_workers, args.worker_class)
        timings = Timings()
        arrivals = args.window * 0.7  # parents arrive over the first 70 % of the window
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [pool.submit(parent_visit, url, email, cells, day,
                                   start + arrivals * n / len(visits), deadline, timings,
                                   (0.2, 1.5))
                       for n, (email, cells) in enumerate(visits)]
            for future in futures:
                future.result()
        client_done = time.time()
        print(f"client done in {client_done - start:.0f} s, {len(timings.taps)} taps",
              file=sys.stderr, flush=True)
        with app.app_context():
            waited = wait_for_decisions(db, timeout=args.wait)
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        with app.app_context():
            results = outcome(db, timings, start, deadline, client_done, waited)
    results["setup"] = {"families": args.families, "parents": args.parents,
                        "window_s": args.window, "web_workers": args.web_workers,
                        "job_workers": args.job_workers, "bulk_emails": BULK_EMAILS,
                        "worker_class": args.worker_class, "proxy": args.proxy,
                        "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]}
    print(json.dumps(results, indent=2, ensure_ascii=False))


def wait_for_decisions(db, timeout):
    from sqlalchemy import func, select

    from models import EmailBatch, OutboundEmail, Request
    from models.requests import RECEIVED

    began = time.time()
    while time.time() - began < timeout:
        db.session.rollback()
        waiting = db.session.scalar(select(func.count(Request.id)).where(
            Request.status == RECEIVED))
        unsent = db.session.scalar(select(func.count(OutboundEmail.id)).where(
            OutboundEmail.sent_at.is_(None), OutboundEmail.kind == "request_decision"))
        # Grouped emails: a batch's decision email is written once the batch closes.
        open_batches = db.session.scalar(select(func.count(EmailBatch.id)).where(
            EmailBatch.decision_at.is_(None)))
        if not waiting and not unsent and not open_batches:
            return round(time.time() - began, 1)
        print(f"waiting: {waiting} requests undecided, {open_batches} batches open, "
              f"{unsent} decision emails unsent", file=sys.stderr, flush=True)
        time.sleep(2)
    return None


def outcome(db, timings, start, deadline, client_done, waited):
    from sqlalchemy import func, select

    from models import OutboundEmail, Request, RequestLine
    from models.clock import utcnow
    from models.requests import LATE

    db.session.rollback()
    requests_ = db.session.scalars(select(Request).where(Request.kind == "cell")).all()
    lines = db.session.scalars(select(RequestLine)).all()
    deadline_utc = datetime.utcfromtimestamp(deadline)
    sent_before = [t for t in timings.taps if t[0] < deadline]
    late = [line for line in lines if line.reason == LATE]
    stamped_after = [r for r in requests_ if r.submitted_at >= deadline_utc]
    decided = sorted(r.processed_at for r in requests_ if r.processed_at)
    decision_sent = dict(db.session.execute(select(OutboundEmail.dedupe_key,
                                                   OutboundEmail.sent_at).where(
        OutboundEmail.kind == "request_decision")).all())
    delays = sorted((sent - r.submitted_at).total_seconds()
                    for r in requests_ for key, sent in decision_sent.items()
                    if sent and key.startswith((f"request-{r.id}-decision-",
                                                f"batch-{r.batch_id}-decision-")))
    bulk_sent = db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "email_in_use", OutboundEmail.sent_at.isnot(None)))
    span = (decided[-1] - decided[0]).total_seconds() if len(decided) > 1 else None
    decision_delays = sorted((r.processed_at - r.submitted_at).total_seconds()
                             for r in requests_ if r.processed_at)

    def pct(values, p):
        return round(values[min(len(values) - 1, int(len(values) * p / 100))], 2) \
            if values else None

    return {
        "endpoints_ms": timings.summary(),
        "client errors (4xx/5xx)": timings.errors,
        "taps sent before the deadline": len(sent_before),
        "requests saved": len(requests_),
        "lines refused as late": len(late),
        "outcomes of lines": dict(Counter(f"{line.outcome} {line.reason or ''}".strip()
                                          for line in lines)),
        "requests stamped at or after the deadline": len(stamped_after),
        "every tap before the deadline accepted": not late and not stamped_after
        and len(requests_) == len(sent_before)
        and all(line.outcome == "accepted" for line in lines),
        "requests decided per second (2 job workers)": round(len(decided) / span, 1)
        if span else None,
        "tap to decision s (p50/p95/max)": [
            pct(decision_delays, 50), pct(decision_delays, 95),
            round(decision_delays[-1], 2) if decision_delays else None],
        # With grouped emails, a parent's decision email leaves once her taps have
        # stopped for --group-seconds: by design, not a delay of the workers.
        "tap to decision email s (p50/p95/max)": [pct(delays, 50), pct(delays, 95),
                                                  round(delays[-1], 2) if delays else None],
        "bulk emails sent by the end": bulk_sent,
        "client run s": round(client_done - start, 1),
        "waited after the client for the last decision email s": waited,
        "mean taps per parent": round(statistics.mean(
            [1 for _ in timings.taps]) * len(timings.taps) / max(1, len(
                timings.by_endpoint.get("GET home", [1]))), 1),
        "now": utcnow().isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
