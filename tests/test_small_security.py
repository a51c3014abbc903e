"""Small security items: header injection in email subjects, send errors recorded,
PDFs with scripts refused, JPEG documents without their GPS position, photo uploads
rate-limited, the code letter's link from PUBLIC_URL."""
import io

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from sqlalchemy import select

from extensions import db
from jobs.emails import send_email
from models import ContactThread, Document, OutboundEmail
from tests.helpers import body, child, csrf_from, login, page, submit
from tests.samples import pdf_bytes, upload


def test_a_subject_with_cr_lf_still_gets_its_reply_by_email(client, other_client, demo,
                                                            run_jobs, mailbox):
    login(client, *demo.PARENT)
    token = csrf_from(page(client, "/nous-contacter"))
    client.post("/nous-contacter", data={"csrf_token": token, "child": "",
                                         "subject": "Cantine\r\nBcc: victim@example.net",
                                         "body": "Une question."})
    thread = db.session.scalar(select(ContactThread).order_by(ContactThread.id.desc()))
    login(other_client, *demo.AGENT)
    submit(other_client, f"/admin/messages/{thread.id}", {"body": "Voici la réponse."})
    run_jobs()
    reply = mailbox.wait_for(demo.PARENT[0], "Réponse du service enfance")
    assert "\n" not in reply["Subject"] and "\r" not in reply["Subject"]
    assert reply["Bcc"] is None
    assert mailbox.to("victim@example.net") == []
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.kind == "contact_reply"))
    assert email.sent_at is not None


def test_an_email_that_cannot_be_sent_says_why_and_is_not_left_claimed(app, demo):
    email = OutboundEmail(kind="email_in_use", to_address="a@example.net\r\nBcc: b@example.net",
                          subject="Sujet", body_text="Texte", body_html="")
    db.session.add(email)
    db.session.commit()
    with pytest.raises(Exception):  # noqa: B017 - RQ records the failure and retries
        send_email(email.id)
    db.session.rollback()
    email = db.session.get(OutboundEmail, email.id)
    assert email.sent_at is None and email.claimed_at is None
    assert email.attempts == 1 and "BadHeaderError" in email.last_error


def _pdf(edit):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    edit(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _with_js(writer):
    """A document-level script in the Names tree, as Acrobat writes them."""
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('bonjour');")})
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([
        TextStringObject("bonjour"), writer._add_object(script)])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)})


def _with_open_action(writer):
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert(1)")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _with_launch_on_page(writer):
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                               NameObject("/F"): TextStringObject("calc.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})


def _send(client, data, name):
    token = csrf_from(page(client, "/documents"))
    return client.post("/documents", data={"csrf_token": token, "kind": "caf", "child": "",
                                           "file": upload(data, name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("edit", [_with_js, _with_open_action, _with_launch_on_page])
def test_pdfs_that_run_something_are_refused(parent_client, edit):
    documents = db.session.scalar(select(db.func.count(Document.id)))
    response = _send(parent_client, _pdf(edit), "attestation.pdf")
    assert response.status_code == 422
    assert "Ce PDF contient du code ou une action automatique" in body(response)
    assert db.session.scalar(select(db.func.count(Document.id))) == documents


def test_a_plain_pdf_is_still_taken(parent_client):
    assert _send(parent_client, pdf_bytes(), "attestation.pdf").status_code == 302


def _jpeg_with_gps():
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: kept
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def test_jpeg_documents_lose_their_gps_position(parent_client):
    data = _jpeg_with_gps()
    assert 0x8825 in Image.open(io.BytesIO(data)).getexif()
    assert _send(parent_client, data, "scan.jpg").status_code == 302
    document = db.session.scalar(select(Document).order_by(Document.id.desc()))
    with open(document.file.path, "rb") as handle:
        stored = handle.read()
    kept = Image.open(io.BytesIO(stored))
    assert 0x8825 not in kept.getexif()
    assert kept.getexif().get(0x0112) == 1 and kept.size == (64, 48)
    assert document.file.size == len(stored)


def test_photo_uploads_are_rate_limited(parent_client):
    from tests.samples import image_bytes

    lea = child("Léa")
    url = f"/ma-famille/enfants/{lea.id}/photo"
    answers = []
    for _ in range(21):
        token = csrf_from(page(parent_client, f"/ma-famille/enfants/{lea.id}/photo"))
        answers.append(parent_client.post(url, data={
            "csrf_token": token, "photo": upload(image_bytes("PNG"), "lea.png")},
            content_type="multipart/form-data").status_code)
    assert answers[:20] == [302] * 20 and answers[20] == 429


def test_the_code_letter_links_to_public_url_whatever_the_host(app, client, demo):
    from models import Family

    login(client, *demo.AGENT)
    family = db.session.scalar(select(Family).where(Family.name == "BERNARD"))
    token = csrf_from(page(client, f"/admin/familles/{family.id}"))
    # The same browser session, reaching the app under a forged Host header.
    client.set_cookie("portail_session", client.get_cookie("portail_session").value,
                      domain="evil.example")
    client.post(f"/admin/familles/{family.id}/code", data={"csrf_token": token},
                base_url="http://evil.example")
    response = client.get(f"/admin/familles/{family.id}/courrier",
                          base_url="http://evil.example")
    assert response.status_code == 200
    letter = body(response)
    assert "evil.example" not in letter
    assert app.config["PUBLIC_URL"] + "/inscription" in letter
