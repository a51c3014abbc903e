"""Access rules, CSRF, security headers and rate limits."""
import re

import pytest

from tests.helpers import body, csrf_from, login, page, submit


def admin_urls(app):
    """Every URL of the staff area, ids filled with 1, with the methods it accepts."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    assert len(urls) >= 8
    return urls


def test_every_admin_url_refuses_anonymous_and_parents(client, other_client, app, demo):
    token = csrf_from(page(client, "/connexion"))
    for method, url in admin_urls(app):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/connexion"), (method, url)

    login(other_client, *demo.PARENT)
    token = csrf_from(page(other_client, "/"))
    for method, url in admin_urls(app):
        response = other_client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (method, url)
        assert "Vous n'avez pas accès à cette page." in body(response)


def test_htmx_request_without_session_is_sent_to_login(client, demo):
    response = client.get("/admin/familles?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/connexion")


def test_parent_pages_need_a_login(client, demo):
    for url in ("/", "/compte"):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_form_without_csrf_token_is_refused_in_french(client, demo):
    response = client.post("/connexion", data={"email": demo.PARENT[0],
                                               "password": demo.PARENT[1]})
    assert response.status_code == 400
    assert "Cette page a expiré" in body(response)
    assert client.get("/").status_code == 302  # not logged in


def test_htmx_csrf_failure_is_shown_in_the_alert_area(parent_client):
    response = parent_client.post("/deconnexion", headers={"HX-Request": "true",
                                                            "X-CSRFToken": "stale"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "Rechargez la page" in body(response)
    assert parent_client.get("/").status_code == 200  # still logged in


def test_htmx_request_carries_the_csrf_header(parent_client):
    token = csrf_from(page(parent_client, "/"))
    response = parent_client.post("/deconnexion", headers={"HX-Request": "true",
                                                            "X-CSRFToken": token})
    assert response.status_code == 302
    assert parent_client.get("/").status_code == 302


def test_security_headers_and_cookies(client, app, demo):
    response = login(client, *demo.PARENT)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie.http_only and cookie.same_site == "Lax"
    home = client.get("/")
    csp = home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Referrer-Policy"] == "same-origin"
    assert "private" in home.headers["Cache-Control"]
    assert "HX-Request" in home.headers["Vary"]
    assert response.status_code == 302


def test_no_inline_script_or_style_in_pages(client, demo):
    login(client, *demo.PARENT)
    for url in ("/", "/compte", "/connexion", "/inscription"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and " onclick" not in html


def test_production_cookies_are_secure_host_cookies(tmp_path):
    import config

    settings = config.load(str(tmp_path), {"PORTAIL_ENV": "production", "SECRET_KEY": "x" * 40})
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["HSTS"]


def test_request_size_is_limited(client, demo):
    response = client.post("/connexion", data={"email": "x" * (13 * 1024 * 1024)})
    assert response.status_code == 413
    assert "trop volumineux" in body(response)


def test_login_attempts_are_limited_per_account(client, other_client, demo):
    # Per account and address (tests/test_login_throttle.py: other addresses get in).
    for _ in range(5):
        assert login(client, demo.PARENT[0], "mauvais mot de passe").status_code == 422
    blocked = login(other_client, demo.PARENT[0], demo.PARENT[1])
    assert blocked.status_code == 429
    assert "Trop de tentatives" in body(blocked)
    # Another account from the same place is not locked out.
    assert login(client, *demo.AGENT).status_code == 302


def test_subscriber_code_attempts_are_limited(client, demo):
    data = {"civility": "Mme", "first_name": "A", "last_name": "B", "email": "a@example.net",
            "password": "une phrase assez longue", "password_confirm": "une phrase assez longue"}
    for attempt in range(20):
        response = submit(client, "/inscription", dict(data, subscriber_code=f"PF-{attempt:010d}"))
        assert response.status_code == 422
    response = submit(client, "/inscription", dict(data, subscriber_code=demo.UNUSED_CODE))
    assert response.status_code == 429


@pytest.mark.parametrize("url", ["/static/css/portail.css", "/static/js/htmx-4.0.1.min.js"])
def test_assets_are_served_locally(client, url):
    assert client.get(url).status_code == 200


def test_behind_a_trusted_proxy_the_client_address_and_scheme_are_used(monkeypatch):
    from flask import request

    from app import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    proxied = create_app()

    @proxied.get("/_where")
    def where():
        return f"{request.remote_addr} {request.scheme}"

    answer = proxied.test_client().get("/_where", headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == "203.0.113.7 https"
