"""A full disk during an upload: nothing cut or empty stays in the storage, nothing is
recorded, and the person reads « espace de stockage plein »."""
import errno
import os

import pytest
from sqlalchemy import func, select

import models.storage
from extensions import db
from models import Document
from tests.helpers import body, csrf_from, page
from tests.samples import pdf_bytes, upload


def all_files(folder):
    found = []
    for root, _dirs, names in os.walk(folder):
        found += [os.path.join(root, name) for name in names]
    return sorted(found)


@pytest.fixture
def disk_fills_up(monkeypatch):
    """The disk takes the first 64 KiB, then is full (ENOSPC), as a real one would."""
    real = models.storage._write_chunk
    taken = {"bytes": 0}

    def write(fd, chunk):
        if taken["bytes"] >= models.storage.CHUNK:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real(fd, chunk)
        taken["bytes"] += written
        return written

    monkeypatch.setattr(models.storage, "_write_chunk", write)


def big_pdf():
    data = pdf_bytes()
    return data + b"%" + b"x" * (300 * 1024) + b"\n"  # a comment after %%EOF: still a PDF


def send_document(client, data, name, headers=None):
    token = csrf_from(page(client, "/documents"))
    return client.post("/documents", data={"csrf_token": token, "kind": "caf", "child": "",
                                           "file": upload(data, name)},
                       content_type="multipart/form-data", headers=headers or {})


def test_a_full_disk_leaves_no_cut_file_and_says_so(app, parent_client, disk_fills_up):
    before = all_files(app.config["STORAGE_DIR"])
    documents = db.session.scalar(select(func.count(Document.id)))
    response = send_document(parent_client, big_pdf(), "caf.pdf")
    assert response.status_code == 507
    assert "espace de stockage plein" in body(response)
    assert all_files(app.config["STORAGE_DIR"]) == before
    assert db.session.scalar(select(func.count(Document.id))) == documents


def test_the_upload_script_gets_the_message_in_the_alert_area(app, parent_client,
                                                              disk_fills_up):
    before = all_files(app.config["STORAGE_DIR"])
    response = send_document(parent_client, big_pdf(), "caf.pdf",
                             headers={"HX-Request": "true"})
    assert response.status_code == 507
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "espace de stockage plein" in body(response)
    assert all_files(app.config["STORAGE_DIR"]) == before


def test_a_full_disk_during_a_photo_leaves_nothing(app, parent_client, disk_fills_up):
    from tests.helpers import child

    kid = child("Léa")
    before = all_files(app.config["STORAGE_DIR"])
    url = f"/ma-famille/enfants/{kid.id}/photo"
    token = csrf_from(page(parent_client, url))
    noisy = noise_png()
    response = parent_client.post(url, data={"csrf_token": token,
                                             "photo": upload(noisy, "lea.png")},
                                  content_type="multipart/form-data")
    assert response.status_code == 507
    assert all_files(app.config["STORAGE_DIR"]) == before


def noise_png():
    """Random pixels: even re-encoded as a JPEG, far more than 64 KiB."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_whole_write_leaves_only_the_file(tmp_path):
    path = tmp_path / "key"
    models.storage.write_whole(str(path), b"x" * 200_000)
    assert path.read_bytes() == b"x" * 200_000
    assert os.listdir(tmp_path) == ["key"]
