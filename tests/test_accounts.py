"""Login, logout, sessions, lost password, change of password and of email."""
from datetime import timedelta

from extensions import db
from models import User, UserSession
from tests.helpers import body, link_in, login, page, submit, text_of


def test_parent_login_lands_home_and_staff_lands_in_admin(client, other_client, demo):
    response = login(client, *demo.PARENT)
    assert response.headers["Location"] == "/"
    assert "Bonjour Claire" in page(client, "/")

    response = login(other_client, *demo.AGENT)
    assert response.headers["Location"] == "/admin/"
    assert "Espace agents" in page(other_client, "/admin/")
    # Staff who open the parents' pages are sent to their own area.
    assert other_client.get("/").headers["Location"] == "/admin/"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, demo):
    wrong = login(client, demo.PARENT[0], "pas le bon mot de passe")
    unknown = login(client, "inconnu@example.net", "pas le bon mot de passe")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "Adresse email ou mot de passe incorrect." in body(response)
    assert client.get("/").status_code == 302


def test_login_keeps_a_safe_next_only(client, demo):
    response = submit(client, "/connexion?next=/compte", dict(zip(("email", "password"),
                                                                   demo.PARENT, strict=True)))
    assert response.headers["Location"] == "/compte"
    client.post("/deconnexion", data={"csrf_token": _token(client)})
    response = submit(client, "/connexion?next=https://evil.example/", dict(zip(
        ("email", "password"), demo.PARENT, strict=True)))
    assert response.headers["Location"] == "/"


def _token(client):
    from tests.helpers import csrf_from

    return csrf_from(page(client, "/compte"))


def test_logout_ends_the_session_even_for_a_replayed_cookie(client, app, demo):
    login(client, *demo.PARENT)
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    response = client.post("/deconnexion", data={"csrf_token": _token(client)})
    assert response.headers["Location"] == "/connexion"
    assert client.get("/").status_code == 302

    client.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    replayed = client.get("/")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/connexion")


def test_remember_me_cookie_is_refused_after_logout(client, other_client, app, demo):
    login(client, *demo.PARENT, remember=True)
    remember_cookie = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    assert remember_cookie is not None and remember_cookie.http_only
    # A fresh browser with only the remember cookie is logged in...
    other_client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie.value)
    assert other_client.get("/").status_code == 200
    # ...until that session is logged out.
    client.post("/deconnexion", data={"csrf_token": _token(client)})
    third = app.test_client()
    third.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie.value)
    assert third.get("/").status_code == 302


def test_idle_and_absolute_timeouts(client, demo):
    login(client, *demo.PARENT)
    session_row = db.session.scalar(db.select(UserSession))
    session_row.last_seen_at -= timedelta(hours=3)
    db.session.commit()
    assert client.get("/").status_code == 302

    login(client, *demo.PARENT)
    session_row = db.session.scalar(db.select(UserSession).where(UserSession.revoked_at.is_(None))
                                    .order_by(UserSession.id.desc()))
    session_row.expires_at = session_row.created_at
    db.session.commit()
    assert client.get("/").status_code == 302


def test_password_change_ends_the_other_sessions(client, other_client, demo, run_jobs, mailbox):
    login(client, *demo.PARENT)
    login(other_client, *demo.PARENT)
    response = submit(client, "/compte", {
        "current_password": demo.PARENT[1], "password": "un tout nouveau secret",
        "password_confirm": "un tout nouveau secret"}, post_url="/compte/mot-de-passe")
    assert response.status_code == 302
    assert "Vos autres appareils ont été déconnectés" in page(client, "/compte")
    assert other_client.get("/").status_code == 302
    run_jobs()
    assert "vient d'être modifié" in text_of(mailbox.wait_for(demo.PARENT[0], "mot de passe"))
    assert login(other_client, demo.PARENT[0], "un tout nouveau secret").status_code == 302


def test_password_change_needs_the_current_password(client, demo):
    login(client, *demo.PARENT)
    response = submit(client, "/compte", {
        "current_password": "faux", "password": "un tout nouveau secret",
        "password_confirm": "un tout nouveau secret"}, post_url="/compte/mot-de-passe")
    assert response.status_code == 422
    assert "Le mot de passe actuel est incorrect." in body(response)
    assert client.get("/").status_code == 200
    assert User.by_email(demo.PARENT[0]).check_password(demo.PARENT[1])


def test_forgotten_password_single_use_link(client, demo, run_jobs, mailbox):
    response = submit(client, "/mot-de-passe-oublie", {"email": demo.PARENT[0]})
    assert "Si un compte existe pour cette adresse" in body(response)
    unknown = submit(client, "/mot-de-passe-oublie", {"email": "personne@example.net"})
    assert "Si un compte existe pour cette adresse" in body(unknown)
    run_jobs()
    assert mailbox.to("personne@example.net") == []
    link = link_in(mailbox.wait_for(demo.PARENT[0], "nouveau mot de passe"), "/mot-de-passe/")

    response = submit(client, link, {"password": "encore un autre secret",
                                     "password_confirm": "encore un autre secret"})
    assert response.headers["Location"] == "/connexion"
    used = client.get(link)
    assert used.status_code == 400 and "Ce lien a déjà servi" in body(used)
    assert login(client, *demo.PARENT).status_code == 422
    assert login(client, demo.PARENT[0], "encore un autre secret").status_code == 302


def test_change_of_email_is_confirmed_on_the_new_address(client, demo, run_jobs, mailbox):
    login(client, *demo.PARENT)
    wrong = submit(client, "/compte", {"new_email": "claire@example.net",
                                       "current_password": "faux"}, post_url="/compte/email")
    assert wrong.status_code == 422
    response = submit(client, "/compte", {"new_email": "Claire@Example.net",
                                          "current_password": demo.PARENT[1]},
                      post_url="/compte/email")
    assert response.status_code == 302
    assert User.by_email(demo.PARENT[0]) is not None  # unchanged until confirmed
    run_jobs()
    link = link_in(mailbox.wait_for("claire@example.net", "nouvelle adresse"), "/compte/email/")
    assert "claire@example.net" in page(client, link)
    run_jobs()
    assert "désormais claire@example.net" in text_of(mailbox.wait_for(demo.PARENT[0], "a changé"))
    assert User.by_email("claire@example.net").first_name == "Claire"


def test_change_to_a_taken_email_reveals_nothing(client, demo, run_jobs, mailbox):
    login(client, *demo.PARENT)
    response = submit(client, "/compte", {"new_email": demo.AGENT[0],
                                          "current_password": demo.PARENT[1]},
                      post_url="/compte/email")
    assert response.status_code == 302
    run_jobs()
    assert "déjà celle d'un autre compte" in text_of(mailbox.wait_for(demo.AGENT[0], "adresse"))
    assert User.by_email(demo.PARENT[0]) is not None


def test_english_is_available(client, demo):
    submit(client, "/connexion", {"lang": "en", "next": "/connexion"}, post_url="/langue")
    html = page(client, "/connexion")
    assert 'lang="en"' in html
    assert "Log in" in html and "Password" in html
    assert "Se connecter" not in html
