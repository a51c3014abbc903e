"""Planning figures of issues 3 and 18: the tap fragment, the first load on a phone, SQL
queries per tap and per week page (1 and 4 children), and for 1, 2, 4 and 8 gunicorn
workers the throughput of taps and of the week page (4 children) as a ratio to a bare
Flask endpoint measured in the same run (20 connections). Each tap is a new cell.

    .venv/bin/python bench/planning.py                      # SQLite
    .venv/bin/python bench/planning.py --database-url postgresql://postgres@127.0.0.1/portail_bench

Also, in the same gunicorn as the taps, the portal's signed-in floor (bench/floor_app.py:
a parent's POST that does nothing), and the tap and the week page as a ratio to it.

Options: --seconds (each wrk run, 5), --workers (1,2,4,8). Needs wrk (apt-get install
wrk). Prints the figures; BENCHMARKS.md keeps them.
"""
import argparse
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def build_families(db):
    """Families with 1 and 4 children, each child enrolled in the four weekday activities."""
    from models import Activity, Child, Enrollment, Family, Guardian, User
    from models.calendar import school_year_of
    from models.clock import utcnow

    # Not the holiday centre (it runs in the school holidays only: running_days() would
    # look for its days for ever).
    activities = [a for a in Activity.ordered() if "Mercredi" not in a.name
                  and not a.holidays_only]
    activities = activities + [a for a in Activity.ordered() if "JOURNÉE" in a.name]
    years = {school_year_of(date.today()), school_year_of(date.today()) + 1}
    logins = {}
    for size in (1, 4):
        family = Family(name=f"BENCH{size}")
        guardian = Guardian(civility="Mme", first_name="Bench", last_name=f"Famille{size}")
        family.guardians.append(guardian)
        for index in range(size):
            child = Child(first_name=f"Enfant{index + 1}", last_name="Bench",
                          birth_date=date(2018, 1, 1), planning_colour=index)
            family.children.append(child)
        db.session.add(family)
        db.session.flush()
        for child in family.children:
            for activity in activities:
                for year in years:
                    db.session.add(Enrollment(child_id=child.id, activity_id=activity.id,
                                              school_year=year))
        user = User(email=f"bench{size}@example.org", guardian=guardian, confirmed_at=utcnow())
        user.set_password("mot de passe du banc")
        db.session.add(user)
        logins[size] = (user.email, "mot de passe du banc", family)
    db.session.commit()
    return logins, activities


def running_days(activity, count, zone):
    from models.planning import PlanningCalendar

    start = date.today() + timedelta(days=14)
    calendar = PlanningCalendar(zone, start, start + timedelta(days=count * 4 + 60))
    days, day = [], start
    while len(days) < count:
        if calendar.runs(activity, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def measure_family(app, counter, login, activities, zone):
    email, password, family = login
    client = app.test_client()
    common.login(client, email, password)
    day = running_days(activities[0], 1, zone)[0]
    url = f"/activites?vue=semaine&date={day.isoformat()}"
    # The process's first page reads the town and activities it keeps
    # (models/reference.py): counted from the second, as every later page.
    client.get(url)
    with counter.measure() as week:
        html = client.get(url).get_data(as_text=True)
    token = common.csrf_token(html)
    child = family.children[0]
    with counter.measure() as tap:
        response = client.post("/activites/case", data={
            "enfant": child.id, "activite": activities[0].id, "jour": day.isoformat(),
            "action": "reserve", "etat": "none"},  # the button of a free cell
            headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200, response.status_code
    return {"week_page_queries": week["queries"], "tap_queries": tap["queries"],
            "tap_fragment_bytes": len(response.get_data()), "client": client, "token": token,
            "week_url": url, "week_html": html}


def first_load_weight(app, measured):
    """What a phone downloads the first time it opens the week: the page and every asset
    it links to, gzip-compressed as the server sends them."""
    import re

    client = measured["client"]
    page = client.get(measured["week_url"], headers={"Accept-Encoding": "gzip"})
    sizes = {"page (html)": len(page.get_data())}
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', measured["week_html"]):
        if asset.endswith("nojs.css"):
            continue  # loaded only without JavaScript
        data = client.get(asset).get_data()
        sizes[asset] = common.gzip_size(data)
    return sizes


def tap_bodies(families, activities, zone, days=300):
    """(family index, form body) of every cell of the families, each tapped once. The
    families take turns: requests in flight at the same time are different parents',
    as in life, where a parent taps one cell after the other."""
    from models.calendar import calendar_window

    # Not past the days the planning covers: a weekly activity's 300th day is years
    # away, and the app refuses it (400), which the runs at 8 workers used to count.
    last = calendar_window(date.today())[1]
    bodies = []
    by_activity = {activity.id: running_days(activity, days, zone) for activity in activities}
    for day_index in range(days):
        for activity in activities:
            day = by_activity[activity.id][day_index]
            if day > last:
                continue
            for child_index in range(4):
                for index, family in enumerate(families):
                    child = family.children[child_index]
                    bodies.append((index, f"enfant={child.id}&activite={activity.id}"
                                          f"&jour={day.isoformat()}&action=reserve&etat=none"))
    return bodies


def tap_lua(bodies, sessions):
    """A wrk script tapping each cell of `bodies` once (wrk's threads take turns, so no
    two requests tap the same cell), each as the parent of its family."""
    items = ",".join(f'{{{index + 1},"{body}"}}' for index, body in bodies)
    cookies = ",".join(f'"{cookie}"' for cookie, _ in sessions)
    tokens = ",".join(f'"{token}"' for _, token in sessions)
    return f"""
local bodies = {{{items}}}
local cookies = {{{cookies}}}
local tokens = {{{tokens}}}
local created = 0
function setup(thread)
  created = created + 1
  thread:set("id", created)
end
local n = 0
request = function()
  n = n + 1
  local item = bodies[((n - 1) * {THREADS} + id - 1) % #bodies + 1]
  return wrk.format("POST", "/activites/case", {{
    ["Cookie"] = "{COOKIE}=" .. cookies[item[1]], ["X-CSRFToken"] = tokens[item[1]],
    ["HX-Request"] = "true", ["Content-Type"] = "application/x-www-form-urlencoded"}},
    item[2])
end
"""


def _check_floor(url, headers):
    """The floor answers a signed-in parent (wrk would count a redirect to the login page
    or a refusal of the CSRF token as an answer)."""
    import urllib.request

    from bare_app import FRAGMENT

    request = urllib.request.Request(url, method="POST", headers=dict(
        header.split(": ", 1) for header in headers))
    with urllib.request.urlopen(request) as answer:  # noqa: S310 (our own local server)
        body = answer.read().decode()
        assert answer.status == 200 and body == FRAGMENT, (answer.status, body[:200])


THREADS = 2
MOST_TAPS = 20_000
COOKIE = "portail_session"
FAMILIES = 20  # of 4 children each, one per connection: enough fresh cells for every run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", default="1,2,4,8",
                        help="gunicorn worker counts of the throughput curve")
    args = parser.parse_args()
    folder = common.prepare_environment(args.database_url)
    redis = common.start_redis(folder)
    try:
        run(args, folder)
    finally:
        redis.terminate()


def more_families(db, activities, count):
    """Families of 4 children like BENCH4, each with a parent logged in."""
    from models import Child, Enrollment, Family, Guardian, User
    from models.calendar import school_year_of
    from models.clock import utcnow
    from models.db_tools import begin_write

    begin_write()  # the requests measured before wrote since this session last read
    years = {school_year_of(date.today()) + n for n in range(3)}
    made = []
    for number in range(count):
        family = Family(name=f"TAPS{number}")
        guardian = Guardian(civility="Mme", first_name="Tap", last_name=f"Famille{number}")
        family.guardians.append(guardian)
        for index in range(4):
            family.children.append(Child(first_name=f"Enfant{index + 1}", last_name="Tap",
                                         birth_date=date(2018, 1, 1), planning_colour=index))
        db.session.add(family)
        db.session.flush()
        db.session.add_all(Enrollment(child_id=child.id, activity_id=activity.id,
                                      school_year=year)
                           for child in family.children for activity in activities
                           for year in years)
        user = User(email=f"taps{number}@example.org", guardian=guardian,
                    confirmed_at=utcnow())
        user.set_password("mot de passe du banc")
        db.session.add(user)
        made.append((user.email, "mot de passe du banc", family))
    db.session.commit()
    return made


def session_of(app, login):
    client = app.test_client()
    common.login(client, login[0], login[1])
    token = common.csrf_token(client.get("/activites").get_data(as_text=True))
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value, token


def run(args, folder):
    import demo
    from app import create_app
    from extensions import db
    from models import Town

    app = create_app()
    common.isolate_requests(app)
    common.fresh_schema(app)
    results = {"database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]}
    with app.app_context():
        demo.load()
        db.session.commit()
        zone = Town.current().holiday_zone
        counter = common.QueryCounter(db.engine)
        logins, activities = build_families(db)
        per_family = {size: measure_family(app, counter, logins[size], activities, zone)
                      for size in (1, 4)}
        results["queries"] = {f"{size} child(ren)": {
            "week page": m["week_page_queries"], "tap": m["tap_queries"]}
            for size, m in per_family.items()}
        results["tap_fragment_bytes"] = per_family[4]["tap_fragment_bytes"]
        weights = first_load_weight(app, per_family[4])
        results["first_load_gzip_bytes"] = weights
        results["first_load_total_gzip_bytes"] = sum(weights.values())
        tappers = more_families(db, activities, FAMILIES)
        sessions = [session_of(app, login) for login in tappers]
        bodies = tap_bodies([login[2] for login in tappers], activities, zone)
        client = per_family[4]["client"]
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        week_url = per_family[4]["week_url"]

    global COOKIE
    COOKIE = app.config["SESSION_COOKIE_NAME"]
    counts = [int(n) for n in args.workers.split(",")]
    # Each run taps fresh cells; the script of a run holds at most MOST_TAPS (wrk's Lua
    # refuses a script of more than 65,536 constants, two a tap).
    slice_size = min(len(bodies) // len(counts), MOST_TAPS)
    curve = {}
    week_headers = [f"Cookie: {COOKIE}={cookie}"]
    for number, workers in enumerate(counts):
        mine = bodies[number * slice_size:(number + 1) * slice_size]
        with common.gunicorn("bench.bare_app:create_app()", workers,
                             warm_path="/bare") as bare_url:
            bare = common.wrk(bare_url + "/bare", args.seconds, 20, threads=THREADS,
                              request_lua='wrk.method = "POST"\n')
        with common.gunicorn("bench.floor_app:create_app()", workers) as url:
            taps = common.wrk(url, args.seconds, 20, threads=THREADS,
                              request_lua=tap_lua(mine, sessions))
            week = common.wrk(url + week_url, args.seconds, 20, threads=THREADS,
                              headers=week_headers)
            floor_headers = [f"Cookie: {COOKIE}={sessions[0][0]}",
                             f"X-CSRFToken: {sessions[0][1]}"]
            _check_floor(url + "/banc/rien", floor_headers)
            floor = common.wrk(url + "/banc/rien", args.seconds, 20, threads=THREADS,
                               request_lua='wrk.method = "POST"\n', headers=floor_headers)
        curve[workers] = {
            "bare req/s": bare["rate"], "signed-in floor req/s": floor["rate"],
            "tap req/s": taps["rate"], "week page req/s": week["rate"],
            "tap / bare": round(taps["rate"] / bare["rate"], 3),
            "week / bare": round(week["rate"] / bare["rate"], 3),
            "floor / bare": round(floor["rate"] / bare["rate"], 3),
            "tap / floor": round(taps["rate"] / floor["rate"], 3),
            "week / floor": round(week["rate"] / floor["rate"], 3),
            "tap latency ms": taps["latency_ms"], "week latency ms": week["latency_ms"],
            "errors (non 2xx/3xx)": (taps["non_2xx"] + week["non_2xx"] + bare["non_2xx"]
                                     + floor["non_2xx"]),
            "taps beyond the fresh cells": max(0, int(taps["rate"] * args.seconds) - len(mine)),
        }
        print(json.dumps({workers: curve[workers]}), file=sys.stderr, flush=True)
    results["load (20 connections)"] = curve
    one = curve[counts[0]]
    results["scaling (N workers / 1 worker)"] = {
        workers: {"tap": round(c["tap req/s"] / one["tap req/s"], 2),
                  "week page": round(c["week page req/s"] / one["week page req/s"], 2)}
        for workers, c in curve.items()}
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
