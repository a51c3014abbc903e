"""Planning figures of issue 3: the tap fragment, the first load on a phone, SQL queries
per tap and per week page (1 and 4 children), throughput of the tap endpoint against a
bare Flask endpoint, and latency of the week page under 20 concurrent users.

    .venv/bin/python bench/planning.py                      # SQLite
    .venv/bin/python bench/planning.py --database-url postgresql://postgres@127.0.0.1/portail_bench

Needs wrk (apt-get install wrk). Prints the figures; BENCHMARKS.md keeps them.
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

    activities = [a for a in Activity.ordered() if "Mercredi" not in a.name]
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
    calendar = PlanningCalendar(zone, start, start + timedelta(days=400))
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


def tap_lua(family, activities, zone):
    """A wrk script that taps a different cell each time (no two taps on one cell)."""
    bodies = []
    for activity in activities:
        for day in running_days(activity, 120, zone):
            for child in family.children:
                bodies.append(f"enfant={child.id}&activite={activity.id}&jour={day.isoformat()}"
                              "&action=reserve&etat=none")
    items = ",".join(f'"{b}"' for b in bodies)
    return f"""
local bodies = {{{items}}}
local counter = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", "/activites/case", nil, body)
end
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    folder = common.prepare_environment(args.database_url)
    redis = common.start_redis(folder)
    try:
        run(args, folder)
    finally:
        redis.terminate()


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
        family = logins[4][2]
        lua = tap_lua(family, activities, zone)
        client = per_family[4]["client"]
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
        token = per_family[4]["token"]
        week_url = per_family[4]["week_url"]

    headers = [f"Cookie: {app.config['SESSION_COOKIE_NAME']}={cookie}",
               "HX-Request: true", f"X-CSRFToken: {token}",
               "Content-Type: application/x-www-form-urlencoded"]
    with common.gunicorn("bare_app:create_app()".replace("bare_app", "bench.bare_app"),
                         args.workers) as bare_url:
        bare = common.wrk(bare_url + "/bare", args.seconds, 20,
                          request_lua='wrk.method = "POST"\n', headers=headers)
    with common.gunicorn("app:create_app()", args.workers) as url:
        taps = common.wrk(url, args.seconds, 20, request_lua=lua, headers=headers)
        week = common.wrk(url + week_url, args.seconds, 20, headers=headers[:1])
    results["load"] = {
        "gunicorn_workers": args.workers,
        "bare endpoint req/s": bare["rate"],
        "tap endpoint req/s": taps["rate"],
        "tap / bare": round(taps["rate"] / bare["rate"], 3),
        "tap errors (non 2xx/3xx)": taps["non_2xx"],
        "tap latency ms": taps["latency_ms"],
        "week page req/s (20 users)": week["rate"],
        "week page latency ms (20 users)": week["latency_ms"],
        "week page errors": week["non_2xx"],
    }
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
