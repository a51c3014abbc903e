"""/healthz for monitors."""


def test_healthz_reports_database_and_redis(client):
    from jobs.sweep import sweep

    sweep()  # as the clock does every minute
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok",
                                   "sweep": "ok"}


def test_healthz_reports_redis_down(app, client):
    from jobs import redis_connection

    saved = app.extensions["redis"]
    app.extensions["redis"] = type(saved).from_url("redis://127.0.0.1:1/0",
                                                   socket_connect_timeout=0.2)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["redis"] = saved
    assert response.status_code == 503
    assert response.get_json()["redis"] == "error"
    assert redis_connection(app).ping()
