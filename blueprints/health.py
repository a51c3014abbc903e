"""/healthz: the state of the database and Redis, as JSON, for monitors."""
from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from extensions import db, limiter
from jobs import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": _check_database(), "redis": _check_redis()}
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


def _check_redis():
    try:
        redis_connection().ping()
        return "ok"
    except RedisError:
        return "error"
