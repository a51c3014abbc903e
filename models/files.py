"""Uploaded files: judged by their content, never by their name or the browser's word,
and kept outside static/ under a random name in STORAGE_DIR.

A file is written before its row is committed; if the transaction rolls back, the file
written for it is removed again, so a refused or failed upload leaves nothing behind.
"""
import contextlib
import io
import logging
import os
import secrets
import unicodedata
import warnings
from datetime import datetime

from flask import current_app
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import DateTime, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from extensions import db
from models.clock import utcnow
from models.storage import write_whole

MAX_BYTES = 10 * 1024 * 1024
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
ZIP = "application/zip"  # made by the portal (statements in bulk), never uploaded
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", ZIP: "zip"}
MAGIC = [(b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG)]
PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
# A refused PDF is answered to the person who sent it; pypdf need not log each one.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Why a file is refused (the forms say it in French).
EMPTY = "empty"
TOO_LARGE = "too_large"
WRONG_TYPE = "wrong_type"
DAMAGED = "damaged"
PROTECTED = "protected"
ACTIVE = "active"  # a PDF that runs something when opened (JavaScript, launch…)

# What makes a PDF act on its own: refused, a document is read, not run.
ACTIVE_PDF_KEYS = ("/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile",
                   "/RichMedia", "/SubmitForm", "/ImportData")
GPS_IFD = 0x8825


class FileRefused(ValueError):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def read_limited(stream, limit=MAX_BYTES):
    """At most limit + 1 bytes of an upload: enough to tell it is too large."""
    return stream.read(limit + 1)


def content_type_of(data, allowed=(PDF, JPEG, PNG)):
    """The type of `data` among `allowed`, proven by its content; FileRefused otherwise."""
    if not data:
        raise FileRefused(EMPTY)
    if len(data) > MAX_BYTES:
        raise FileRefused(TOO_LARGE)
    kind = next((kind for magic, kind in MAGIC if data.startswith(magic)), None)
    if kind not in allowed:
        raise FileRefused(WRONG_TYPE)
    if kind == PDF:
        _check_pdf(data)
    else:
        _check_image(data, PIL_FORMATS[kind])
    return kind


def _check_pdf(data):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileRefused(PROTECTED)
            if len(reader.pages) < 1:
                raise FileRefused(DAMAGED)
            if _is_active(reader):
                raise FileRefused(ACTIVE)
    except FileRefused:
        raise
    # A broken or hostile PDF makes pypdf raise almost anything, including the error it
    # uses for filters it does not support: each of these means "not a readable PDF".
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError,
            RecursionError, NotImplementedError, OSError) as error:
        raise FileRefused(DAMAGED) from error


def _is_active(reader):
    """Any object of the PDF (the catalogue, pages, annotations, name trees…, read
    through pypdf so compressed object streams count too) holds an action key."""
    seen = set()
    stack = [reader.trailer]
    while stack:
        item = stack.pop()
        if hasattr(item, "get_object"):
            reference = getattr(item, "idnum", None)
            if reference is not None:
                if reference in seen:
                    continue
                seen.add(reference)
            item = item.get_object()
        if isinstance(item, dict):
            if any(key in item for key in ACTIVE_PDF_KEYS):
                return True
            if item.get("/S") in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        if len(seen) > 100_000:  # a hostile file: no walk forever
            raise FileRefused(DAMAGED)
    return False


def without_gps(data, content_type):
    """A JPEG's EXIF GPS position (where a phone took the picture) is removed, the rest
    kept (orientation, the image itself with its own quantisation: quality "keep")."""
    if content_type != JPEG:
        return data
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        if GPS_IFD not in exif:
            return data
        del exif[GPS_IFD]
        cleaned = io.BytesIO()
        options = {"icc_profile": image.info["icc_profile"]} if "icc_profile" in image.info else {}
        image.save(cleaned, format="JPEG", quality="keep", exif=exif.tobytes(), **options)
    return cleaned.getvalue()


def _check_image(data, expected_format):
    """Pillow must recognise the image, find its structure sound, and decode it whole
    (a JPEG at a reduced scale: every byte is still read, with little memory)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected_format:
                    raise FileRefused(WRONG_TYPE)
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (512, 512))
                image.load()
    except FileRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, SyntaxError, ValueError) as error:
        raise FileRefused(DAMAGED) from error


def clean_file_name(name, content_type):
    """The name a person gave, without folders or control characters, ending with the
    extension of what the file really is."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base)
                   if unicodedata.category(ch)[0] != "C").strip(" .")
    extension = EXTENSIONS[content_type]
    stem, dot, given = base.rpartition(".")
    if dot and given.lower() in ({extension, "jpeg"} if content_type == JPEG else {extension}):
        base = stem
    base = base[:120] or "document"
    return f"{base}.{extension}"


def storage_dir():
    return current_app.config["STORAGE_DIR"]


class StoredFile(db.Model):
    """One file on disk. Whoever owns the row (a document, a news item, a version of the
    rules) decides who may download it."""
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, the only name on disk: nothing a person typed reaches the file system.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(130))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @classmethod
    def save(cls, data, content_type, file_name):
        """Write data to the storage and add its row; the file goes if the row is rolled back."""
        data = without_gps(data, content_type)
        key = secrets.token_hex(20)
        folder = storage_dir()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        path = os.path.join(folder, key)
        write_whole(path, data)  # whole or not at all (a full disk leaves nothing)
        db.session.info.setdefault("files_written", []).append(path)
        stored = cls(storage_key=key, content_type=content_type, size=len(data),
                     file_name=clean_file_name(file_name, content_type))
        db.session.add(stored)
        return stored

    @property
    def path(self):
        return os.path.join(storage_dir(), self.storage_key)

    def discard(self):
        """Delete the row, and the file once that is committed."""
        db.session.info.setdefault("files_to_remove", []).append(self.path)
        db.session.delete(self)


def _remove(paths):
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


@event.listens_for(Session, "after_commit")
def _files_committed(session):
    session.info.pop("files_written", None)
    _remove(session.info.pop("files_to_remove", []))


@event.listens_for(Session, "after_soft_rollback")
def _files_rolled_back(session, previous_transaction):
    if not session.in_transaction():
        _remove(session.info.pop("files_written", []))
        session.info.pop("files_to_remove", None)
