"""Long-period figures of issue 4: a school-year request for 3 children x 4 activities,
saved through the form endpoint, then processed by the job; time and SQL queries.

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


def build_family(db, school_year):
    from models import Activity, Child, Enrollment, Family, Guardian, User
    from models.clock import utcnow

    activities = [a for a in Activity.ordered() if a.name != "Mercredi matin AVEC REPAS"]
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
        print(json.dumps(run(), indent=2, ensure_ascii=False))
    finally:
        redis.terminate()


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
        started = time.perf_counter()
        response = client.post("/activites/longue-periode", data=form)
        save_seconds = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    with app.app_context():
        request = db.session.scalar(db.select(Request))
        lines = len(request.lines)
        request_id = request.id
    with app.app_context(), counter.measure() as processing:
        started = time.perf_counter()
        process_request(request_id)
        process_seconds = time.perf_counter() - started
    with app.app_context():
        request = db.session.get(Request, request_id)
        outcomes = {}
        for line in request.lines:
            outcomes[line.outcome] = outcomes.get(line.outcome, 0) + 1
    return {
        "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0],
        "period": f"{first} to {last}, Monday to Friday, 3 children x 4 activities",
        "lines": lines,
        "save (form POST, validation + expansion + bulk insert)": {
            "seconds": round(save_seconds, 3), "queries": saving["queries"]},
        "process (the job: receipt, decision of every line, decision email)": {
            "seconds": round(process_seconds, 3), "queries": processing["queries"]},
        "outcomes": outcomes,
    }


if __name__ == "__main__":
    os.chdir(common.ROOT)
    main()
