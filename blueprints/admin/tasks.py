"""Background work that went wrong, visible to staff with a retry button: failed jobs,
requests still waiting for their job, emails not sent."""
from datetime import timedelta

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from blueprints.admin.blueprint import bp
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import render_alert, render_page
from extensions import db
from jobs import QUEUED, WAITING, enqueue, enqueue_status, queues
from jobs.emails import SEND_RETRY, send_email
from jobs.requests import job_id, process_request
from models import OutboundEmail, Request
from models.clock import utcnow
from models.requests import RECEIVED

# Work older than this and still not done is shown as stuck.
STUCK_AFTER = timedelta(minutes=2)
SHOWN = 100


def _failed_jobs():
    """[(job, last line of its error)], and whether Redis answered."""
    try:
        jobs = []
        for each in queues():
            registry = FailedJobRegistry(queue=each)
            jobs += [each.fetch_job(i) for i in registry.get_job_ids(0, SHOWN - 1)]
        return [(job, _last_error(job)) for job in jobs[:SHOWN] if job is not None], True
    except RedisError:
        return [], False


def _requeue_failed(job_key):
    """Requeue a failed job into its own queue (high priority or bulk)."""
    for each in queues():
        registry = FailedJobRegistry(queue=each)
        if job_key in registry:
            registry.requeue(job_key)
            return
    raise NoSuchJobError(job_key)


def _last_error(job):
    result = job.latest_result()
    lines = (result.exc_string or "").strip().splitlines() if result else []
    return lines[-1] if lines else ""


@bp.get("/taches")
def tasks():
    since = utcnow() - STUCK_AFTER
    failed, redis_ok = _failed_jobs()
    stuck = db.session.scalars(select(Request).where(
        Request.status == RECEIVED, Request.submitted_at < since)
        .order_by(Request.submitted_at).limit(SHOWN)).all()
    unsent = db.session.scalars(select(OutboundEmail).where(
        OutboundEmail.sent_at.is_(None), OutboundEmail.created_at < since)
        .order_by(OutboundEmail.created_at).limit(SHOWN)).all()
    return render_page("admin/tasks.html", failed=failed, stuck=stuck, unsent=unsent,
                       redis_ok=redis_ok, form=ConfirmForm())


def _confirmed():
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.post("/taches/job/<job_key>/relancer")
def retry_job(job_key):
    _confirmed()
    try:
        _requeue_failed(job_key)
    except (NoSuchJobError, InvalidJobOperation):
        # Retried already, expired, or a made-up id.
        return render_alert(_("Cette tâche n'est plus dans la liste des tâches en échec : "
                              "elle a déjà été relancée ou n'existe pas."), status=404)
    except RedisError:
        flash(_("La file des tâches (Redis) ne répond pas : réessayez dans un instant."),
              "error")
        return redirect(url_for("admin.tasks"))
    flash(_("Tâche relancée."), "success")
    return redirect(url_for("admin.tasks"))


@bp.post("/taches/demande/<int:request_id>/relancer")
def retry_request(request_id):
    _confirmed()
    db.session.get(Request, request_id) or abort(404)
    if enqueue(process_request, request_id, job_id=job_id(request_id)):
        flash(_("La demande va être traitée."), "success")
    else:
        flash(_("La file des tâches (Redis) ne répond pas : réessayez dans un instant."),
              "error")
    return redirect(url_for("admin.tasks"))


@bp.post("/taches/email/<int:email_id>/renvoyer")
def retry_email(email_id):
    _confirmed()
    db.session.get(OutboundEmail, email_id) or abort(404)
    status = enqueue_status(send_email, email_id, job_id=f"email-{email_id}", retry=SEND_RETRY)
    if status == QUEUED:
        flash(_("L'email va être renvoyé."), "success")
    elif status == WAITING:
        # Its job already waits (a retry after a failed send): nothing new was queued.
        flash(_("Cet email attend déjà son envoi : il partira à la prochaine tentative, "
                "sans rien faire de plus."), "info")
    else:
        flash(_("La file des tâches (Redis) ne répond pas : réessayez dans un instant."),
              "error")
    return redirect(url_for("admin.tasks"))
