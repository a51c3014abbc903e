"""Règlement intérieur (versioned PDF and the rules in words from the activity settings),
Infos diverses (Markdown the staff edit), the guide, and news managed by the staff."""
import io
import os
from datetime import time, timedelta

from PIL import Image
from sqlalchemy import select

from extensions import db
from models import Activity, News
from models.clock import paris_today
from tests.helpers import body, csrf_from, login, page, submit
from tests.samples import pdf_bytes, upload


def post_file(client, url, fields, data, name):
    token = csrf_from(page(client, url))
    return client.post(url, data=dict(fields, csrf_token=token, **{name: data}),
                       content_type="multipart/form-data")


def test_rules_page_says_each_activitys_hours_and_deadline(client, demo):
    html = page(client, "/reglement-interieur")  # public: read before having an account
    assert ("Restauration scolaire, le lundi, mardi, jeudi, vendredi de 12:00 à 13:45 : à "
            "réserver ou annuler au plus tard 2 jours ouvrés avant, à 10:00.") in html
    assert ("Mercredi JOURNÉE, le mercredi de 07:15 à 18:45 : à réserver ou annuler au plus "
            "tard 7 jours avant, à 12:00.") in html
    assert "Le règlement intérieur n'est pas encore en ligne" in html
    assert client.get("/reglement-interieur/reglement.pdf").status_code == 404

    # The page follows the settings the portal enforces.
    canteen = db.session.scalar(select(Activity).where(Activity.name == "Restauration scolaire"))
    canteen.deadline_days, canteen.deadline_time = 3, time(9, 30)
    db.session.commit()
    assert ("Restauration scolaire, le lundi, mardi, jeudi, vendredi de 12:00 à 13:45 : à "
            "réserver ou annuler au plus tard 3 jours ouvrés avant, à 09:30.") in page(
                client, "/reglement-interieur")


def test_staff_upload_versions_and_families_get_the_latest(client, other_client, demo):
    login(client, *demo.AGENT)
    first, second = pdf_bytes(1), pdf_bytes(3)
    assert post_file(client, "/admin/reglement-interieur", {"note": "Version 2025"},
                     upload(first, "reglement-2025.pdf"), "file").status_code == 302
    refused = post_file(client, "/admin/reglement-interieur", {},
                        upload(b"<html>not a pdf</html>", "reglement.pdf"), "file")
    assert refused.status_code == 422
    assert "Seuls les fichiers PDF sont acceptés" in body(refused)
    photo = io.BytesIO()
    Image.new("RGB", (10, 10)).save(photo, format="PNG")
    refused = post_file(client, "/admin/reglement-interieur", {},
                        upload(photo.getvalue(), "reglement.png"), "file")
    assert refused.status_code == 422
    assert post_file(client, "/admin/reglement-interieur", {"note": "Voté le 12 juin 2026"},
                     upload(second, "reglement-2026.pdf"), "file").status_code == 302

    versions = page(client, "/admin/reglement-interieur")
    assert versions.index("reglement-2026.pdf") < versions.index("En vigueur") < versions.index(
        "reglement-2025.pdf")

    html = page(other_client, "/reglement-interieur")
    assert "Voté le 12 juin 2026" in html and "Télécharger le règlement intérieur (PDF" in html
    response = other_client.get("/reglement-interieur/reglement.pdf")
    assert response.status_code == 200 and response.data == second
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_infos_diverses_are_edited_by_staff_in_markdown(client, other_client, demo):
    login(client, *demo.AGENT)
    response = submit(client, "/admin/infos-diverses", {
        "body": "## Menus\n\nLe jeudi est **végétarien**.\n\n<script>alert(1)</script>"
                "<a href=\"javascript:alert(1)\">x</a>"})
    assert response.status_code == 302
    assert "<strong>végétarien</strong>" in page(client, "/admin/infos-diverses")

    login(other_client, *demo.PARENT)
    html = other_client.get("/infos-diverses").get_data(as_text=True)
    assert "<h2>Menus</h2>" in html and "<strong>végétarien</strong>" in html
    assert "<script>alert" not in html and "javascript:" not in html


def test_parents_cannot_edit_infos_diverses(parent_client):
    response = submit(parent_client, "/", {"body": "piratage"}, post_url="/admin/infos-diverses")
    assert response.status_code == 403
    assert "piratage" not in page(parent_client, "/infos-diverses")


def test_guide_explains_each_step_with_the_portals_own_screens(client, app, demo):
    html = page(client, "/guide")
    for heading in ("Créer votre compte", "Réserver ou annuler un jour",
                    "Faire une demande sur une longue période",
                    "Mettre à jour votre dossier famille", "Transmettre un document",
                    "Nous contacter"):
        assert heading in html, heading
    images = [src for src in html.split('src="')[1:] if src.startswith("/static/img/guide/")]
    assert len(images) >= 4
    for src in images:
        path = os.path.join(app.root_path, src.split('"')[0].lstrip("/"))
        assert os.path.getsize(path) < 80_000, path
        with Image.open(path) as image:
            assert image.width <= 720
    assert 'alt=""' not in html


today = paris_today  # Paris time, moved by PORTAIL_TEST_TODAY


def test_staff_write_schedule_publish_and_unpublish_news(client, other_client, demo):
    login(client, *demo.AGENT)
    login(other_client, *demo.PARENT)
    response = post_file(client, "/admin/actualites/nouvelle", {
        "title": "Fête de l'école", "body": "Rendez-vous **samedi**.",
        "publish_on": today().isoformat(), "save": "Enregistrer"},
        upload(pdf_bytes(), "programme.pdf"), "attachment")
    assert response.status_code == 302
    item = db.session.scalar(select(News).where(News.title == "Fête de l'école"))
    assert not item.published and "Brouillon enregistré." in page(client, response.location)
    assert "Fête de l'école" not in page(other_client, "/")

    token = csrf_from(page(client, "/admin/actualites"))
    client.post(f"/admin/actualites/{item.id}/publication",
                data={"csrf_token": token, "publier": "1"})
    assert "Fête de l'école" in page(other_client, "/")
    news_page = page(other_client, f"/actualites/{item.id}")
    assert "Télécharger la pièce jointe (PDF" in news_page
    attachment = other_client.get(f"/actualites/{item.id}/piece-jointe")
    assert attachment.status_code == 200 and attachment.data == pdf_bytes()

    # Scheduled for later: families stop seeing it until that day.
    later = today() + timedelta(days=5)
    response = submit(client, f"/admin/actualites/{item.id}", {
        "title": "Fête de l'école", "body": "Rendez-vous **samedi**.",
        "publish_on": later.isoformat(), "publish_until": "", "save": "Enregistrer"})
    assert response.status_code == 302
    assert "Programmée" in page(client, "/admin/actualites")
    assert other_client.get(f"/actualites/{item.id}").status_code == 404
    assert other_client.get(f"/actualites/{item.id}/piece-jointe").status_code == 404

    response = submit(client, f"/admin/actualites/{item.id}", {
        "title": "Fête de l'école", "body": "x", "publish_on": today().isoformat(),
        "publish_until": (today() - timedelta(days=1)).isoformat(), "save": "Enregistrer"})
    assert response.status_code == 422
    assert "La date de fin doit suivre la date de début." in body(response)

    submit(client, f"/admin/actualites/{item.id}", {
        "title": "Fête de l'école", "body": "Rendez-vous **samedi**.",
        "publish_on": today().isoformat(), "remove_attachment": "y", "save": "Enregistrer"})
    assert other_client.get(f"/actualites/{item.id}/piece-jointe").status_code == 404

    token = csrf_from(page(client, "/admin/actualites"))
    client.post(f"/admin/actualites/{item.id}/publication",
                data={"csrf_token": token, "publier": "0"})
    assert other_client.get(f"/actualites/{item.id}").status_code == 404
    assert "Brouillon" in page(client, "/admin/actualites")


def test_a_news_attachment_must_be_a_pdf(client, demo):
    login(client, *demo.AGENT)
    response = post_file(client, "/admin/actualites/nouvelle", {
        "title": "Menu", "body": "Voir la pièce jointe.", "publish_on": today().isoformat()},
        upload(b"\x89PNG\r\n\x1a\nnot really", "menu.pdf"), "attachment")
    assert response.status_code == 422
    assert "Seuls les fichiers PDF sont acceptés" in body(response)
    assert db.session.scalar(select(News).where(News.title == "Menu")) is None
