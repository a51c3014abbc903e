"""Long-period figures of issues 4 and 13: a school-year request for 3 children x 4
school activities and the holiday centre booked by whole weeks (with its booking
windows), saved through the form endpoint, then processed by the job; time and SQL
queries, and each time as a ratio to a bare request on the same machine (the yardstick
of bench/planning.py, bench/bare_app.py). Both must stay under 1 s: the script exits 1
when one does not.

    .venv/bin/python bench/long_period.py
    .venv/bin/python bench/long_period.py --database-url postgresql://postgres@127.0.0.1:5432/portail_bench
"""
import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ACTIVITIES = ("Restauration scolaire", "APS Matin", "APS Soir", "Mercredi JOURNÉE",
              "Accueil de loisirs (semaine)")
BUDGET_SECONDS = 1.0
BARE_REQUESTS = 300


def bare_seconds():
    """The median time of a bare POST answered by a bare Flask app, in process, as the
    form is posted here: what a request costs before the portal does anything."""
    from bare_app import create_app

    client = create_app().test_client()
    times = []
    for _ in range(BARE_REQUESTS):
        started = time.perf_counter()
        client.post("/bare", data={"x": "1"})
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def build_family(db, school_year):
    from models import Activity, Child, Enrollment, Family, Guardian, User
    from models.clock import utcnow

    activities = [a for a in Activity.ordered() if a.name in ACTIVITIES]
    family = Family(name="TROIS")
    guardian = Guardian(civility="M.", first_name="Trois", last_name="Enfants")
    family.guardians.append(guardian)
    for index in range(3):
        family.children.append(Child(first_name=f"Enfant{index + 1}", last_name="Trois",
                                     birth_date=date(2017, 1, 1), planning_colour=index))
    db.session.add(family)
    db.session.flush()
    for child in family.children:
        for activity in activities:
            db.session.add(Enrollment(child_id=child.id, activity_id=activity.id,
                                      school_year=school_year))
    user = User(email="trois@example.org", guardian=guardian, confirmed_at=utcnow())
    user.set_password("mot de passe du banc")
    db.session.add(user)
    db.session.commit()
    return family, activities


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = common.prepare_environment(args.database_url)
    redis = common.start_redis(folder)
    try:
        figures = run()
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    finally:
        redis.terminate()
    if not figures["under 1 s each"]:
        sys.exit(1)


def run():
    import demo
    from app import create_app
    from extensions import db
    from jobs.requests import process_request
    from models import Request
    from models.calendar import school_year_of

    app = create_app()
    common.isolate_requests(app)
    common.fresh_schema(app)
    school_year = school_year_of(date.today()) + 1
    first, last = date(school_year, 9, 1), date(school_year + 1, 7, 4)
    with app.app_context():
        demo.load()
        db.session.commit()
        family, activities = build_family(db, school_year)
        counter = common.QueryCounter(db.engine)
        form = {
            "action": "reserve", "children": [str(c.id) for c in family.children],
            "activities": [str(a.id) for a in activities], "first_day": first.isoformat(),
            "last_day": last.isoformat(), "weekdays": ["1", "2", "3", "4", "5"],
            "client_token": "b" * 32,
        }
    client = app.test_client()
    common.login(client, "trois@example.org", "mot de passe du banc")
    form["csrf_token"] = common.csrf_token(
        client.get("/activites/longue-periode").get_data(as_text=True))
    with counter.measure() as saving:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post("/activites/longue-periode", data=form)
        save_seconds = time.perf_counter() - started
        save_cpu = time.process_time() - cpu
    assert response.status_code == 302, response.status_code
    with app.app_context():
        request = db.session.scalar(db.select(Request))
        lines = len(request.lines)
        request_id = request.id
    with app.app_context(), counter.measure() as processing:
        started, cpu = time.perf_counter(), time.process_time()
        process_request(request_id)
        process_seconds = time.perf_counter() - started
        process_cpu = time.process_time() - cpu
    with app.app_context():
        request = db.session.get(Request, request_id)
        outcomes = {}
        for line in request.lines:
            outcomes[line.outcome] = outcomes.get(line.outcome, 0) + 1
    bare = bare_seconds()
    return {
        "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0],
        "period": f"{first} to {last}, Monday to Friday, 3 children x {len(activities)} "
                  f"activities ({', '.join(a.name for a in activities)})",
        "lines": lines,
        "bare request (median, ms)": round(bare * 1000, 3),
        "save (form POST, validation + expansion + bulk insert)": {
            "seconds": round(save_seconds, 3), "CPU seconds": round(save_cpu, 3),
            "queries": saving["queries"],
            "ratio to bare": round(save_seconds / bare)},
        "process (the job: receipt, decision of every line, decision email)": {
            "seconds": round(process_seconds, 3), "CPU seconds": round(process_cpu, 3),
            "queries": processing["queries"],
            "ratio to bare": round(process_seconds / bare)},
        "under 1 s each": save_seconds < BUDGET_SECONDS and process_seconds < BUDGET_SECONDS,
        "outcomes": outcomes,
    }


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
