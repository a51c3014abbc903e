"""Documents: a family sends a file, checked by its content; only that family and the
staff can download it; the staff accept or reject it and the family is emailed."""
import os

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Document, StoredFile
from tests.helpers import body, child, csrf_from, login, other_family_parent, page, text_of
from tests.samples import image_bytes, pdf_bytes, upload


def stored_files(app):
    folder = app.config["STORAGE_DIR"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture(autouse=True)
def empty_storage(app):
    for name in stored_files(app):
        os.remove(os.path.join(app.config["STORAGE_DIR"], name))


def send(client, data, name, kind="caf", child_id="", headers=None):
    token = csrf_from(page(client, "/documents"))
    return client.post("/documents", data={"csrf_token": token, "kind": kind, "child": child_id,
                                           "file": upload(data, name)},
                       content_type="multipart/form-data", headers=headers or {})


def document_count():
    return db.session.scalar(select(func.count(Document.id)))


def test_a_family_sends_a_pdf_and_sees_it_waiting(parent_client, app):
    response = send(parent_client, pdf_bytes(), "Attestation CAF 2026.pdf", kind="caf",
                    child_id=str(child("Léa").id))
    assert response.status_code == 302 and response.headers["Location"] == "/documents"
    html = page(parent_client, "/documents")
    assert "Votre document a bien été envoyé" in html
    assert "Attestation CAF" in html and "Léa MARTIN" in html
    assert "En attente de vérification" in html and "Attestation CAF 2026.pdf" in html

    document = db.session.scalar(select(Document))
    assert document.file.content_type == "application/pdf"
    # Stored outside static/, under a random name, exactly as sent.
    assert stored_files(app) == [document.file.storage_key]
    assert "Attestation" not in document.file.storage_key
    storage = os.path.realpath(app.config["STORAGE_DIR"])
    assert not storage.startswith(os.path.realpath(os.path.join(app.root_path, "static")))
    with open(document.file.path, "rb") as handle:
        assert handle.read() == pdf_bytes()


@pytest.mark.parametrize("data, name, kind", [
    (image_bytes("PNG"), "photo.png", "image/png"),
    (image_bytes("JPEG"), "scan.JPEG", "image/jpeg"),
])
def test_photos_are_accepted_as_what_they_are(parent_client, data, name, kind):
    assert send(parent_client, data, name).status_code == 302
    assert db.session.scalar(select(StoredFile.content_type)) == kind


@pytest.mark.parametrize("data, name, message", [
    (b"MZ\x90\x00 not a document", "attestation.pdf",
     "Seuls les fichiers PDF, JPEG ou PNG sont acceptés. Ce fichier n'en est pas un"),
    (b"<html><script>alert(1)</script></html>", "photo.jpg",
     "Seuls les fichiers PDF, JPEG ou PNG sont acceptés"),
    (b"GIF89a" + b"\x00" * 40, "image.gif", "Seuls les fichiers PDF, JPEG ou PNG sont acceptés"),
    (b"%PDF-1.7\n this is no real PDF", "faux.pdf", "Ce fichier est endommagé ou illisible"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "photo.jpg", "Ce fichier est endommagé ou illisible"),
    (image_bytes("PNG")[:70], "coupee.png", "Ce fichier est endommagé ou illisible"),
    (b"", "vide.pdf", "Le fichier est vide."),
    (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "enorme.pdf", "Le fichier dépasse 10 Mo."),
])
def test_bad_files_are_refused_in_french_and_nothing_is_stored(parent_client, app, data, name,
                                                               message):
    response = send(parent_client, data, name)
    assert response.status_code == 422
    html = body(response)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert document_count() == 0
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0
    assert stored_files(app) == []


def test_a_form_without_a_file_asks_for_one(parent_client):
    token = csrf_from(page(parent_client, "/documents"))
    response = parent_client.post("/documents", data={"csrf_token": token, "kind": "pai"},
                                  content_type="multipart/form-data")
    assert response.status_code == 422 and "Choisissez un fichier." in body(response)


def test_a_file_over_the_request_limit_is_refused(parent_client, app):
    response = send(parent_client, b"%PDF-1.4\n" + b"0" * (13 * 1024 * 1024), "geant.pdf")
    assert response.status_code == 413
    assert "trop volumineux" in body(response)
    assert document_count() == 0 and stored_files(app) == []


def test_another_familys_child_is_refused(parent_client, app):
    jules = child("Jules")  # a BERNARD child
    response = send(parent_client, pdf_bytes(), "pai.pdf", kind="pai", child_id=str(jules.id))
    assert response.status_code == 422
    assert "Cet enfant ne fait pas partie de votre dossier famille." in body(response)
    assert document_count() == 0 and stored_files(app) == []


def test_an_unknown_kind_is_refused(parent_client):
    response = send(parent_client, pdf_bytes(), "x.pdf", kind="passeport")
    assert response.status_code == 422 and document_count() == 0


def test_the_upload_script_gets_the_form_block_or_a_redirect(parent_client):
    htmx = {"HX-Request": "true"}
    refused = send(parent_client, b"not a pdf", "x.pdf", headers=htmx)
    assert refused.status_code == 200 and document_count() == 0
    fragment = body(refused)
    assert "<html" not in fragment and fragment.lstrip().startswith("<form")
    assert "Seuls les fichiers PDF, JPEG ou PNG sont acceptés" in fragment

    accepted = send(parent_client, pdf_bytes(), "ok.pdf", headers=htmx)
    assert accepted.status_code == 204
    assert accepted.headers["HX-Redirect"] == "/documents"
    assert "Votre document a bien été envoyé" in page(parent_client, "/documents")


def test_upload_without_csrf_token_stores_nothing(parent_client, app):
    response = parent_client.post("/documents", data={"kind": "caf", "file": upload(
        pdf_bytes(), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert document_count() == 0 and stored_files(app) == []


def test_only_the_family_and_the_staff_can_download(client, other_client, app, demo):
    login(client, *demo.PARENT)
    send(client, pdf_bytes(2), "Certificat médical.pdf", kind="medical")
    document = db.session.scalar(select(Document))

    response = client.get(f"/documents/{document.id}/fichier")
    assert response.status_code == 200
    assert response.data == pdf_bytes(2)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Certificat" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]

    other_family_parent(other_client)
    assert other_client.get(f"/documents/{document.id}/fichier").status_code == 404
    assert "Certificat médical.pdf" not in page(other_client, "/documents")
    assert other_client.get("/documents/999/fichier").status_code == 404

    anonymous = app.test_client()
    response = anonymous.get(f"/documents/{document.id}/fichier")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]

    login(anonymous, *demo.AGENT)
    staff = anonymous.get(f"/admin/documents/{document.id}/fichier")
    assert staff.status_code == 200 and staff.data == pdf_bytes(2)
    assert staff.headers["Content-Disposition"].startswith("attachment;")


def review(client, document_id, **data):
    token = csrf_from(page(client, f"/admin/documents/{document_id}"))
    return client.post(f"/admin/documents/{document_id}", data=dict(data, csrf_token=token))


def test_staff_reject_with_a_reason_and_the_family_is_told(client, other_client, demo,
                                                          run_jobs, mailbox):
    login(other_client, *demo.PARENT)
    send(other_client, pdf_bytes(), "caf.pdf", kind="caf")
    document = db.session.scalar(select(Document))

    login(client, *demo.AGENT)
    queue = page(client, "/admin/documents")
    assert "MARTIN" in queue and "Attestation CAF" in queue
    assert "À examiner (1)" in queue

    response = review(client, document.id, reason="", reject="Refuser")
    assert response.status_code == 422
    assert "Indiquez le motif du refus" in body(response)

    response = review(client, document.id, reason="Attestation de plus de trois mois",
                      reject="Refuser")
    assert response.status_code == 302
    assert "Aucun document à examiner." in page(client, "/admin/documents")
    assert "caf.pdf" not in page(client, "/admin/documents")
    assert "Attestation CAF" in page(client, "/admin/documents?statut=rejected")

    html = page(other_client, "/documents")
    assert "Refusé" in html and "Motif du refus : Attestation de plus de trois mois" in html

    run_jobs()
    message = mailbox.wait_for(demo.PARENT[0], "Votre document a été examiné")
    text = text_of(message)
    assert "n'a pas pu accepter votre document « Attestation CAF »" in text
    assert "Motif : Attestation de plus de trois mois" in text
    assert "http://localhost/documents" in text

    # Deciding again changes nothing and sends nothing more.
    again = review(client, document.id, accept="Accepter")
    assert again.status_code == 422 and "Ce document a déjà été examiné." in body(again)
    assert db.session.get(Document, document.id).status == "rejected"


def test_staff_accept_and_the_family_is_told(client, other_client, demo, run_jobs, mailbox):
    login(other_client, *demo.PARENT)
    send(other_client, image_bytes("JPEG"), "pai.jpg", kind="pai",
         child_id=str(child("Hugo").id))
    document = db.session.scalar(select(Document))
    login(client, *demo.AGENT)
    assert "Hugo MARTIN" in page(client, f"/admin/documents/{document.id}")
    assert review(client, document.id, accept="Accepter").status_code == 302
    assert "Accepté" in page(other_client, "/documents")
    run_jobs()
    text = text_of(mailbox.wait_for(demo.PARENT[0], "Votre document a été examiné"))
    assert "a accepté votre document « PAI (accueil individualisé) »" in text


def test_a_parent_cannot_review(parent_client):
    send(parent_client, pdf_bytes(), "caf.pdf")
    document = db.session.scalar(select(Document))
    token = csrf_from(page(parent_client, "/documents"))
    response = parent_client.post(f"/admin/documents/{document.id}",
                                  data={"csrf_token": token, "accept": "Accepter"})
    assert response.status_code == 403
    assert db.session.get(Document, document.id).status == "received"


def test_uploads_are_rate_limited(parent_client):
    for _ in range(20):
        assert send(parent_client, pdf_bytes(), "x.pdf").status_code == 302
    blocked = send(parent_client, pdf_bytes(), "x.pdf")
    assert blocked.status_code == 429 and "Trop de tentatives" in body(blocked)
    assert document_count() == 20
