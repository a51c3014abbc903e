"""Nous contacter: the service's details, a family's message, the staff's inbox and a
reply received by email (the SMTP server of the tests) and shown in the thread."""
from sqlalchemy import select

from extensions import db
from models import ContactThread
from tests.helpers import body, child, login, other_family_parent, page, submit, text_of


def write(client, subject="Absence de Léa", text="Léa sera absente vendredi.", child_id=""):
    return submit(client, "/nous-contacter", {"subject": subject, "body": text,
                                              "child": child_id})


def test_contact_page_gives_the_services_details(parent_client):
    html = page(parent_client, "/nous-contacter")
    assert "1 place de la Mairie, 44680 Beaulieu-sur-Loire" in html
    assert 'href="tel:0240000000"' in html and "02 40 00 00 00" in html
    assert "enfance@beaulieu-sur-loire.example.org" in html
    assert "Du lundi au vendredi, de 9 h à 12 h et de 14 h à 17 h" in html
    assert '<label for="subject">Objet</label>' in html
    assert '<label for="body">Votre message</label>' in html
    assert "Allergie de Hugo aux arachides" in html  # the demo's earlier exchange


def test_a_message_gets_a_reply_by_email_and_in_the_thread(client, other_client, demo,
                                                           run_jobs, mailbox):
    login(client, *demo.PARENT)
    response = write(client, "Sortie piscine de Léa", "Léa peut-elle venir sans bonnet ?\nMerci",
                     child_id=str(child("Léa").id))
    assert response.status_code == 302
    thread = db.session.scalar(select(ContactThread).where(
        ContactThread.subject == "Sortie piscine de Léa"))
    assert response.headers["Location"] == f"/nous-contacter/{thread.id}"
    html = page(client, response.headers["Location"])
    assert "Votre message a été envoyé au service enfance" in html
    assert "Concerne Léa MARTIN" in html and "Léa peut-elle venir sans bonnet ?" in html

    login(other_client, *demo.AGENT)
    inbox = page(other_client, "/admin/messages")
    assert "Sortie piscine de Léa" in inbox and "MARTIN" in inbox
    assert "En attente de réponse (1)" in inbox
    response = submit(other_client, f"/admin/messages/{thread.id}",
                      {"body": "Oui, un bonnet sera prêté sur place."})
    assert response.status_code == 302
    assert "Aucun message n'attend de réponse." in page(other_client, "/admin/messages")
    assert "Sortie piscine de Léa" in page(other_client, "/admin/messages?tous=1")

    run_jobs()
    message = mailbox.wait_for(demo.PARENT[0], "Réponse du service enfance : Sortie piscine")
    text = text_of(message)
    assert "Le service enfance a répondu à votre message « Sortie piscine de Léa »" in text
    assert "Oui, un bonnet sera prêté sur place." in text
    assert f"http://localhost/nous-contacter/{thread.id}" in text

    html = page(client, f"/nous-contacter/{thread.id}")
    assert "Oui, un bonnet sera prêté sur place." in html
    assert html.index("Léa peut-elle venir") < html.index("Oui, un bonnet")
    assert "Réponse reçue" in page(client, "/nous-contacter")

    # The family answers back: the thread waits for the service again.
    assert submit(client, f"/nous-contacter/{thread.id}",
                  {"body": "Merci beaucoup !"}).status_code == 302
    assert "En attente de réponse (1)" in page(other_client, "/admin/messages")


def test_messages_need_a_subject_and_a_text(parent_client):
    response = write(parent_client, subject="", text="  ")
    assert response.status_code == 422
    assert body(response).count("Ce champ est obligatoire.") == 2
    assert db.session.scalar(select(ContactThread).where(ContactThread.subject == "")) is None


def test_another_familys_child_or_thread_is_not_reachable(client, other_client, demo):
    login(client, *demo.PARENT)
    thread = db.session.scalar(select(ContactThread))  # the MARTIN family's
    response = write(client, child_id=str(child("Jules").id))
    assert response.status_code == 422
    assert "Cet enfant ne fait pas partie de votre dossier famille." in body(response)

    other_family_parent(other_client)
    assert other_client.get(f"/nous-contacter/{thread.id}").status_code == 404
    response = submit(other_client, "/nous-contacter", {"body": "intrus"},
                      post_url=f"/nous-contacter/{thread.id}")
    assert response.status_code == 404
    assert "Allergie de Hugo" not in page(other_client, "/nous-contacter")
    assert len(db.session.get(ContactThread, thread.id).messages) == 2


def test_staff_and_visitors_cannot_use_the_parent_form(client, demo):
    response = client.get("/nous-contacter")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    login(client, *demo.AGENT)
    response = client.get("/nous-contacter")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_messages_are_rate_limited(parent_client):
    for number in range(5):
        assert write(parent_client, subject=f"Question {number}").status_code == 302
    blocked = write(parent_client, subject="Une de trop")
    assert blocked.status_code == 429 and "Trop de tentatives" in body(blocked)
    assert db.session.scalar(select(ContactThread).where(
        ContactThread.subject == "Une de trop")) is None
