"""Bad input is refused with a French message and nothing is saved; photos are checked
by their content, cleaned and kept out of static/."""
import os
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import ChangeRequest
from tests.family_helpers import child, edit, family, form_data, guardian, image_bytes
from tests.helpers import body, page


def change_count():
    return db.session.scalar(select(func.count(ChangeRequest.id)))


def errors_of(response):
    assert response.status_code == 422, response.status_code
    return body(response)


@pytest.mark.parametrize("changes, message", [
    ({"mobile_phone": "12 34"}, "Saisissez un numéro de téléphone français valide"),
    ({"employer_phone": "+44 20 7946 0958"}, "Saisissez un numéro de téléphone français valide"),
    ({"birth_date": "2999-01-01"}, "La date de naissance ne peut pas être dans le futur."),
    ({"email": "claire@"}, "Saisissez une adresse email valide"),
    ({"first_name": ""}, "Ce champ est obligatoire."),
])
def test_guardian_form_refuses_bad_input_and_saves_nothing(parent_client, changes, message):
    claire = guardian("MARTIN", "Claire")
    before = change_count()
    # A valid change in the same form is not saved either: the form goes back as typed.
    response = edit(parent_client, f"/ma-famille/responsables/{claire.id}/modifier",
                    dict(changes, profession="Pharmacienne"))
    html = errors_of(response)
    assert message in html and 'value="Pharmacienne"' in html
    assert change_count() == before
    assert guardian("MARTIN", "Claire").mobile_phone == "06 12 34 56 78"


@pytest.mark.parametrize("changes, message", [
    ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "Cet IBAN n'est pas valide"),
    ({"iban": "BR18 0036 0305 0000 1000 9795 493C 1"}, "zone SEPA"),
    ({"iban": "not an iban"}, "Cet IBAN n'est pas valide"),
    ({"bic": "PSST"}, "Ce BIC n'est pas valide"),
    ({"bank_holder": ""}, "Ce champ est obligatoire."),
])
def test_bank_form_refuses_bad_input(parent_client, changes, message):
    before = change_count()
    html = errors_of(edit(parent_client, "/ma-famille/banque/modifier", changes))
    assert message in html
    assert change_count() == before
    assert family("MARTIN").iban == "FR1420041010050500013M02606"


def test_first_iban_is_required(agent_client):
    bernard = family("BERNARD")
    html = errors_of(edit(agent_client, f"/admin/familles/{bernard.id}/banque/modifier",
                          {"bank_holder": "Sophie BERNARD"}))
    assert "Ce champ est obligatoire." in html


def test_child_and_address_forms_refuse_bad_input(parent_client):
    lea = child("MARTIN", "Léa")
    before = change_count()
    html = errors_of(edit(parent_client, f"/ma-famille/enfants/{lea.id}/informations/modifier",
                          {"birth_date": "2999-05-12"}))
    assert "La date de naissance ne peut pas être dans le futur." in html
    html = errors_of(edit(parent_client, f"/ma-famille/enfants/{lea.id}/informations/modifier",
                          {"birth_date": "pas une date"}))
    assert "Saisissez une date valide." in html
    html = errors_of(edit(parent_client, "/ma-famille/adresse/modifier", {"postal_code": "4468"}))
    assert "Saisissez un code postal à 5 chiffres." in html
    html = errors_of(edit(parent_client, f"/ma-famille/enfants/{lea.id}/sante/modifier",
                          {"doctor_phone": "0800"}))
    assert "Saisissez un numéro de téléphone français valide" in html
    assert change_count() == before


def test_invalid_form_sent_by_htmx_comes_back_as_a_fragment(parent_client):
    claire = guardian("MARTIN", "Claire")
    url = f"/ma-famille/responsables/{claire.id}/modifier"
    data = form_data(page(parent_client, url), action=url)
    data["mobile_phone"] = "123"
    response = parent_client.post(url, data=data, headers={"HX-Request": "true",
                                                           "HX-Request-Type": "partial"})
    html = errors_of(response)
    assert "<html" not in html and "Saisissez un numéro de téléphone français valide" in html
    assert response.headers["Cache-Control"] == "no-store"


def upload(client, child_id, content, filename="photo.jpg", mimetype="image/jpeg"):
    url = f"/ma-famille/enfants/{child_id}/photo"
    data = form_data(page(client, url), action=url)
    data["photo"] = (BytesIO(content), filename, mimetype)
    return client.post(url, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("content, filename, message", [
    (b"%PDF-1.4 not a photo at all", "photo.jpg", "n'est pas une photo JPEG ou PNG valide"),
    (b"GIF89a" + b"\0" * 100, "photo.png", "n'est pas une photo JPEG ou PNG valide"),
    (image_bytes("GIF", exif=False), "photo.gif", "n'est pas une photo JPEG ou PNG valide"),
    (image_bytes()[:2000], "photo.jpg", "n'est pas une photo JPEG ou PNG valide"),
    (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "grande.jpg", "trop lourde : 5 Mo au plus"),
])
def test_photo_that_is_not_a_clean_image_is_refused(parent_client, content, filename, message):
    lea = child("MARTIN", "Léa")
    before = change_count()
    html = errors_of(upload(parent_client, lea.id, content, filename))
    assert message in html
    assert change_count() == before


def test_photo_is_reencoded_without_metadata_and_kept_out_of_static(app, parent_client,
                                                                   agent_client_for_photos):
    lea = child("MARTIN", "Léa")
    response = upload(parent_client, lea.id, image_bytes(size=(1600, 1200)))
    assert response.status_code == 302
    change = db.session.scalar(select(ChangeRequest).where(ChangeRequest.field == "photo"))
    name = change.new_value
    path = os.path.join(app.config["STORAGE_DIR"], "photos", name)
    assert os.path.isfile(path)
    assert "static" not in os.path.relpath(path, app.root_path).split(os.sep)
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and max(stored.size) <= 600
        assert len(stored.getexif()) == 0 and "exif" not in stored.info

    tab = page(parent_client, f"/ma-famille/enfants/{lea.id}/photo")
    assert "Nouvelle photo" in tab and "en attente de validation" in tab
    assert name not in tab  # the stored name never leaves the server
    served = parent_client.get(f"/ma-famille/modifications/{change.id}/photo.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "no-store"
    assert parent_client.get(f"/ma-famille/enfants/{lea.id}/photo.jpg").status_code == 404

    # A PNG sent next replaces the pending photo; the first file is deleted.
    assert upload(parent_client, lea.id, image_bytes("PNG", exif=False), "photo.png",
                  "image/png").status_code == 302
    db.session.refresh(change)
    assert change.new_value != name and not os.path.exists(path)

    staff = agent_client_for_photos
    queue = page(staff, "/admin/modifications")
    assert f"/admin/modifications/{change.id}/photo.jpg" in queue
    assert staff.get(f"/admin/modifications/{change.id}/photo.jpg").status_code == 200
    action = f"/admin/modifications/{change.id}/decision"
    data = form_data(queue, action=action)
    data["decision"] = "approve"
    assert staff.post(action, data=data).status_code == 302
    photo_url = f"/ma-famille/enfants/{lea.id}/photo.jpg"
    assert parent_client.get(photo_url).status_code == 200
    assert staff.get(f"/admin/enfants/{lea.id}/photo.jpg").status_code == 200
    anonymous = app.test_client().get(photo_url)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


@pytest.fixture
def agent_client_for_photos(app, demo):
    from tests.helpers import login

    client = app.test_client()
    login(client, *demo.AGENT)
    return client
