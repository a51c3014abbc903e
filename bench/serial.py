"""Serial server time of a tap, the week page (4 children) and the home page, in-process
(Flask test client, one request after another), with the SQL statements each sends.

    .venv/bin/python bench/serial.py                    # SQLite
    .venv/bin/python bench/serial.py --database-url postgresql://postgres@127.0.0.1/portail_bench
    .venv/bin/python bench/serial.py --profile tap      # cProfile of 200 taps (or week, home)
    .venv/bin/python bench/serial.py --profile week --pyinstrument   # sampling profile
    .venv/bin/python bench/serial.py --parts            # also the planning, layout, template

Figures are medians of --rounds requests (after a warm-up), in milliseconds: the CPU time
spent in the app's WSGI callable (the server's part), the CPU and wall time of the whole
request with the test client, and the same for a bare Flask endpoint (bench/bare_app.py)
and for the portal's signed-in floor (bench/floor_app.py: a parent's POST that does
nothing) in the same run.
"""
import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import planning  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--profile", choices=("tap", "week", "home", "week after the taps",
                                              "signed-in floor"))
    parser.add_argument("--pyinstrument", action="store_true",
                        help="with --profile: sample with pyinstrument, not cProfile")
    parser.add_argument("--profile-file",
                        help="with --profile: also save cProfile's stats there (snakeviz...)")
    parser.add_argument("--parts", action="store_true",
                        help="also time the parts of a page: the planning, its layout, the "
                             "template (CPU, median per request)")
    args = parser.parse_args()
    folder = common.prepare_environment(args.database_url)
    redis = common.start_redis(folder)
    try:
        run(args)
    finally:
        redis.terminate()


def run(args):
    from floor_app import create_app  # the portal, with the signed-in floor's route

    import demo
    from extensions import db
    from models import Town

    app = create_app()
    common.isolate_requests(app)
    server_cpu = _time_the_server(app)
    common.fresh_schema(app)
    with app.app_context():
        demo.load()
        db.session.commit()
        zone = Town.current().holiday_zone
        counter = common.QueryCounter(db.engine)
        logins, activities = planning.build_families(db)
        measured = {size: planning.measure_family(app, counter, logins[size], activities, zone)
                    for size in (1, 4)}
        family = logins[4][2]
        taps = [(child.id, activity.id, day)
                for activity in activities
                for day in planning.running_days(activity, 60, zone)
                for child in family.children]
    client, token = measured[4]["client"], measured[4]["token"]
    week_url = measured[4]["week_url"]
    results = {"database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0],
               "queries": {f"{s} child(ren)": {"week page": m["week_page_queries"],
                                               "tap": m["tap_queries"]}
                           for s, m in measured.items()}}
    tap_iter = iter(taps[1:])

    def tap():
        child_id, activity_id, day = next(tap_iter)
        response = client.post("/activites/case", data={
            "enfant": child_id, "activite": activity_id, "jour": day.isoformat(),
            "action": "reserve", "etat": "none"},
            headers={"HX-Request": "true", "X-CSRFToken": token})
        assert response.status_code == 200, response.status_code

    def week():
        assert client.get(week_url).status_code == 200

    def home():
        assert client.get("/").status_code == 200

    import bare_app

    bare_flask = bare_app.create_app()
    bare_cpu = _time_the_server(bare_flask)
    bare_client = bare_flask.test_client()

    def bare():
        assert bare_client.post("/bare").status_code == 200

    def floor():  # a parent's POST that does nothing (bench/floor_app.py)
        assert client.post("/banc/rien", headers={"X-CSRFToken": token}).status_code == 200

    # The week before the taps (one cell pending), then again once the taps below have
    # made a third of its cells pending, each with its undo button.
    requests = {"week": week, "home": home, "tap": tap, "week after the taps": week,
                "signed-in floor": floor, "bare": bare}
    with app.app_context():
        counter = common.QueryCounter(db.engine)
        if args.profile and args.pyinstrument:
            from pyinstrument import Profiler
            for _ in range(10):
                requests[args.profile]()
            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(args.rounds):
                requests[args.profile]()
            profiler.stop()
            print(profiler.output_text(show_all=False, color=False, time="percent_of_total"))
            return
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.rounds):
                requests[args.profile]()
            profile.disable()
            if args.profile_file:
                profile.dump_stats(args.profile_file)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
            return
        timings = {}
        parts = _time_the_parts() if args.parts else {}
        for name, call in requests.items():
            for _ in range(10):
                call()
            samples, cpu = [], []
            server_cpu.clear()
            bare_cpu.clear()
            for spent_in_part in parts.values():
                spent_in_part.clear()
            with counter.measure() as queries:
                for _ in range(args.rounds):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    call()
                    samples.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
            # CPU time of this process (the app, the test client, SQLite): what a busy
            # shared machine disturbs least; wall time also counts waiting for a core.
            # The server's own part is what the app's WSGI callable took, without the
            # test client building the request and reading the answer.
            spent = bare_cpu if name == "bare" else server_cpu
            # The tenth percentile: what a request costs when no neighbour disturbs it
            # (on a shared machine the median moves by a third between two runs).
            timings[name] = {"median_server_cpu_ms": round(statistics.median(spent), 2),
                             "p10_server_cpu_ms": round(sorted(spent)[len(spent) // 10], 2),
                             "median_cpu_ms": round(statistics.median(cpu), 2),
                             "median_ms": round(statistics.median(samples), 2),
                             "p90_ms": round(sorted(samples)[int(len(samples) * 0.9)], 2),
                             "queries_per_request": queries["queries"] / args.rounds}
            for part, spent_in_part in parts.items():
                if spent_in_part:
                    timings[name][f"median {part} ms"] = round(
                        statistics.median(spent_in_part), 2)
        # The bare endpoint measured in the same run: what the machine's noise moves alike.
        for name in ("tap", "week", "home", "week after the taps", "signed-in floor"):
            timings[name]["server / bare"] = round(
                timings[name]["median_server_cpu_ms"] / timings["bare"]["median_server_cpu_ms"],
                1)
        results["serial"] = timings
    print(json.dumps(results, indent=2, ensure_ascii=False))


def _time_the_parts():
    """Wrap what a page is made of, to note the CPU time each call takes, in ms: the
    week's cells (models/grid.family_planning, as the planning's views call it), their
    layout, and the rendering of every template."""
    import flask.templating

    from blueprints.planning import views

    spent = {}
    for owner, name, part in ((views, "family_planning", "family_planning"),
                              (views, "layout", "layout"),
                              (flask.templating, "_render", "template")):
        spent[part] = _timed(owner, name)
    return spent


def _timed(owner, name):
    inner, spent = getattr(owner, name), []

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent.append((time.process_time() - start) * 1000)

    setattr(owner, name, timed)
    return spent


def _time_the_server(app):
    """Wrap the app's WSGI callable (outside every middleware) to note the CPU time each
    request takes in it, in ms; the body of a Flask answer is rendered by then."""
    inner, spent = app.wsgi_app, []

    def timed(environ, start_response):
        start = time.process_time()
        try:
            return inner(environ, start_response)
        finally:
            spent.append((time.process_time() - start) * 1000)

    app.wsgi_app = timed
    return spent


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
