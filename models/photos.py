"""Children's photos: checked by their content, re-encoded, stored outside static/.

An upload is opened with Pillow whatever its name says; only JPEG and PNG are taken.
It is turned upright, shrunk, and saved again as a fresh JPEG, which drops EXIF and
any other metadata (GPS position, camera...). The file gets a random name in
STORAGE_DIR/photos and is only ever served by views that check who is asking.
"""
import os
import secrets
from io import BytesIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from models.storage import write_whole

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
SIZE = (600, 600)
ACCEPTED_FORMATS = ("JPEG", "PNG")


class PhotoError(ValueError):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "too_big" or "not_an_image"


def _folder():
    folder = os.path.join(current_app.config["STORAGE_DIR"], "photos")
    os.makedirs(folder, exist_ok=True)
    return folder


def photo_path(name):
    """The file of a stored photo; names are ours (random, url-safe), never a user's."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = os.path.join(_folder(), name)
    return path if os.path.isfile(path) else None


def _decode(data):
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoError("not_an_image")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise PhotoError("too_big")
            probe.verify()  # a truncated or forged file fails here
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise PhotoError("not_an_image") from error
    return image


def store_photo(stream):
    """Check, clean and store an uploaded photo; returns its new random name."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoError("too_big")
    image = ImageOps.exif_transpose(_decode(data))
    image.thumbnail(SIZE)
    # Pixels only, on a new white canvas: no EXIF, ICC or text chunk is carried over.
    clean = Image.new("RGB", image.size, "white")
    rgba = image.convert("RGBA")
    clean.paste(rgba, mask=rgba.getchannel("A"))
    name = secrets.token_urlsafe(24) + ".jpg"
    encoded = BytesIO()
    clean.save(encoded, format="JPEG", quality=85, optimize=True)
    write_whole(os.path.join(_folder(), name), encoded.getvalue())
    return name


def delete_photo(name):
    path = photo_path(name)
    if path:
        os.remove(path)
