"""The sweep keeps going past one broken job, runs without the clock process (the web
app enqueues it when it is late), /healthz says when it is late, and « Renvoyer » says
what it did."""
from datetime import UTC, datetime, timedelta

from rq.job import JobStatus
from sqlalchemy import select

import jobs.clock
from extensions import db
from jobs import HIGH_QUEUE_NAME, queue, redis_connection
from jobs.sweep import LAST_SWEEP_KEY, sweep
from models import OutboundEmail, Request
from tests.helpers import activity, body, booking_state, login, submit, tap, upcoming_day


def lost_requests(client, planning):
    """Two taps whose jobs were lost, the first one's job half deleted: left
    "started" by a killed worker, its execution record already expired."""
    login(client, *planning.PARENT)
    aps = activity("APS Soir")
    day = upcoming_day(aps)
    tap(client, "Léa", "APS Soir", day)
    tap(client, "Hugo", "APS Soir", day)
    requests = db.session.scalars(select(Request).order_by(Request.id)).all()
    jobs_queue = queue(client.application, HIGH_QUEUE_NAME)  # decisions are urgent
    for request in requests:
        request.submitted_at -= timedelta(minutes=10)
    jobs_queue.fetch_job(f"request-{requests[1].id}").delete()  # lost with Redis
    jobs_queue.remove(f"request-{requests[0].id}")
    first = jobs_queue.fetch_job(f"request-{requests[0].id}")
    first.set_status(JobStatus.STARTED)
    first.started_at = first.last_heartbeat = datetime.now(UTC) - timedelta(minutes=10)
    first.save()
    redis_connection().zadd(first.execution_registry.key,
                            {"gone-execution": datetime.now(UTC).timestamp() + 3600})
    db.session.commit()
    return day


def test_a_half_deleted_job_does_not_stop_the_sweep(client, planning, run_jobs, mailbox):
    day = lost_requests(client, planning)
    report = sweep()
    assert report["requeue_lost_requests"] == 2
    run_jobs()
    assert booking_state("Léa", "APS Soir", day) == "reserved"
    assert booking_state("Hugo", "APS Soir", day) == "reserved"


def test_healthz_is_red_while_the_sweep_is_late(client, app):
    redis_connection(app).delete(LAST_SWEEP_KEY)
    late = client.get("/healthz")
    assert late.status_code == 503 and late.get_json()["sweep"] == "late"
    redis_connection(app).set(LAST_SWEEP_KEY, int(datetime.now(UTC).timestamp()) - 600)
    assert client.get("/healthz").get_json()["sweep"] == "late"
    sweep()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok",
                                   "sweep": "ok"}


def test_without_the_clock_the_web_app_gets_the_sweep_done(app, client, run_jobs):
    app.config["SWEEP_FROM_WEB"] = True
    jobs.clock._next_check = 0.0
    try:
        client.get("/connexion")
        assert queue(app, HIGH_QUEUE_NAME).fetch_job("sweep") is not None
        run_jobs()
        assert redis_connection(app).get(LAST_SWEEP_KEY) is not None
        # Once done, the next pages do not enqueue it again.
        jobs.clock._next_check = 0.0
        client.get("/connexion")
        assert queue(app, HIGH_QUEUE_NAME).count == 0
    finally:
        app.config["SWEEP_FROM_WEB"] = False


def test_resend_of_an_email_whose_job_waits_says_so(app, agent_client, demo, run_jobs,
                                                    mailbox):
    from jobs.emails import queue_email

    email = queue_email("someone@example.net", "email_in_use", "Message en attente",
                        login_url="http://localhost/")
    db.session.commit()
    email_id = email.id
    db.session.get(OutboundEmail, email_id).created_at -= timedelta(minutes=5)
    db.session.commit()
    response = submit(agent_client, "/admin/taches", {},
                      post_url=f"/admin/taches/email/{email_id}/renvoyer",
                      follow_redirects=True)
    html = body(response)
    assert "Cet email attend déjà son envoi" in html
    assert "L'email va être renvoyé" not in html
    run_jobs()
    mailbox.wait_for("someone@example.net", "Message en attente")
    assert len(mailbox.to("someone@example.net")) == 1
