"""/healthz: the state of the database, Redis and the periodic sweep, as JSON, for
monitors (the sweep is "late" when no clock process got it done lately)."""
from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from extensions import db, limiter
from jobs import redis_connection
from jobs.clock import sweep_if_late, sweep_is_late

bp = Blueprint("health", __name__)
bp.before_app_request(sweep_if_late)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": _check_database(), "redis": _check_redis()}
    checks["sweep"] = _check_sweep() if checks["redis"] == "ok" else "unknown"
    healthy = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if healthy else "error", **checks}
    return jsonify(body), 200 if healthy else 503, {"Cache-Control": "no-store"}


def _check_database():
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError:
        db.session.rollback()
        return "error"


def _check_sweep():
    try:
        return "late" if sweep_is_late(redis_connection()) else "ok"
    except RedisError:
        return "unknown"


def _check_redis():
    try:
        redis_connection().ping()
        return "ok"
    except RedisError:
        return "error"
