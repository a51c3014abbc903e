"""Créer un compte (section 1 of the guide): the subscriber code, the confirmation email,
then login. Every email here is received by the real SMTP server of the tests."""
import time

import itsdangerous.timed
from sqlalchemy import func, select

from extensions import db
from models import User
from tests.helpers import body, link_in, login, page, submit, text_of

SOPHIE = {
    "civility": "Mme", "first_name": "Sophie", "last_name": "Bernard",
    "email": "Sophie.Bernard@Example.net", "password": "une phrase assez longue",
    "password_confirm": "une phrase assez longue",
}


def register(client, code, **changes):
    return submit(client, "/inscription", dict(SOPHIE, subscriber_code=code, **changes))


def user_count():
    return db.session.scalar(select(func.count(User.id)))


def test_registration_confirmation_and_login(client, demo, run_jobs, mailbox):
    response = register(client, demo.UNUSED_CODE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inscription/envoyee")
    assert "Confirmez votre adresse email" in page(client, "/inscription/envoyee")

    # Not confirmed yet: login says so and offers a new link.
    response = login(client, "sophie.bernard@example.net", SOPHIE["password"])
    assert response.status_code == 422
    assert "n'est pas encore confirmée" in body(response)
    assert "Recevoir un nouveau lien" in body(response)

    run_jobs()
    email = mailbox.wait_for("sophie.bernard@example.net", "Confirmez la création")
    assert "Bonjour Mme Sophie Bernard" in text_of(email)
    confirm_path = link_in(email, "/inscription/confirmer/")

    confirmed = client.get(confirm_path)
    assert confirmed.status_code == 200
    assert "Votre compte est activé" in body(confirmed)

    response = login(client, "SOPHIE.BERNARD@example.net", SOPHIE["password"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = page(client, "/")
    assert "Famille BERNARD" in home and "Jules" in home

    user = User.by_email("sophie.bernard@example.net")
    assert user.guardian.first_name == "Sophie" and user.family.name == "BERNARD"
    assert user.password_hash.startswith("$argon2id$")


def test_code_is_accepted_without_dashes_and_in_lower_case(client, demo):
    response = register(client, "pf berna rd026")
    assert response.status_code == 302
    assert User.by_email(SOPHIE["email"]) is not None


def test_wrong_code_creates_nothing(client, demo):
    before = user_count()
    response = register(client, "PF-AAAAA-AAAAA")
    assert response.status_code == 422
    assert "Ce code abonné n'est pas reconnu" in body(response)
    assert user_count() == before


def test_a_code_serves_once_per_guardian(client, other_client, demo):
    assert register(client, demo.UNUSED_CODE).status_code == 302
    before = user_count()
    response = register(other_client, demo.UNUSED_CODE, email="someone.else@example.net")
    assert response.status_code == 422
    assert "a déjà servi" in body(response)
    assert user_count() == before


def test_names_must_be_those_of_a_guardian_of_the_file(client, app, demo):
    from models import Family

    family = db.session.scalar(select(Family).where(Family.name == "MARTIN"))
    code = family.issue_subscriber_code()
    db.session.commit()
    response = register(client, code, first_name="Inconnu", last_name="Personne",
                        email="x@example.net")
    assert response.status_code == 422
    assert "ne correspondent à aucun responsable" in body(response)
    # Claire MARTIN has her account already.
    response = register(client, code, first_name="Claire", last_name="Martin",
                        email="claire2@example.net")
    assert "a déjà servi" in body(response)
    # Thomas MARTIN, still without an account, gets his own with the same code.
    response = register(client, code, civility="M.", first_name="thomas", last_name="MARTIN",
                        email="thomas@example.net")
    assert response.status_code == 302
    assert User.by_email("thomas@example.net").guardian.first_name == "Thomas"


def test_taken_email_gets_the_same_answer_and_a_warning_email(client, demo, run_jobs, mailbox):
    before = user_count()
    response = register(client, demo.UNUSED_CODE, email=demo.PARENT[0])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inscription/envoyee")
    assert user_count() == before
    run_jobs()
    warning = mailbox.wait_for(demo.PARENT[0], "Tentative de création de compte")
    assert "déjà un compte" in text_of(warning)


def test_weak_or_mismatched_passwords_are_refused(client, demo):
    before = user_count()  # the demo's accounts
    response = register(client, demo.UNUSED_CODE, password="azertyuiop",
                        password_confirm="azertyuiop")
    assert "trop courant" in body(response)
    response = register(client, demo.UNUSED_CODE, password="court", password_confirm="court")
    assert "au moins 8 caractères" in body(response)
    response = register(client, demo.UNUSED_CODE, password_confirm="autre chose encore")
    assert "ne sont pas identiques" in body(response)
    long_password = "une très longue phrase de passe " * 4
    response = register(client, demo.UNUSED_CODE, password=long_password,
                        password_confirm=long_password)
    assert response.status_code == 302
    assert user_count() == before + 1  # only the long one was created


def test_expired_confirmation_link(client, demo, run_jobs, mailbox, monkeypatch):
    real_time = time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 49 * 3600)
    register(client, demo.UNUSED_CODE)
    run_jobs()
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    link = link_in(mailbox.wait_for(SOPHIE["email"], "Confirmez"), "/inscription/confirmer/")
    response = client.get(link)
    assert response.status_code == 400
    assert "Ce lien a expiré" in body(response)
    assert User.by_email(SOPHIE["email"]).confirmed_at is None


def test_forged_confirmation_link(client, demo):
    response = client.get("/inscription/confirmer/WzEsImFAYi5jIl0.forged.signature")
    assert response.status_code == 400
    assert "n'est pas valide" in body(response)


def test_resend_confirmation(client, demo, run_jobs, mailbox):
    register(client, demo.UNUSED_CODE)
    response = submit(client, "/inscription/envoyee", {"email": SOPHIE["email"]},
                      post_url="/inscription/renvoyer")
    assert response.status_code == 302
    run_jobs()
    assert len(mailbox.to(SOPHIE["email"])) == 2
    # An unknown address gets the same answer and no email.
    response = submit(client, "/inscription/envoyee", {"email": "nobody@example.net"},
                      post_url="/inscription/renvoyer")
    assert response.status_code == 302
    run_jobs()
    assert mailbox.to("nobody@example.net") == []
