"""Uploads and downloads shared by every area: the file field that checks what it is
given by content, and the answer that hands a stored file over."""
import os

from flask import abort, send_file
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms.validators import ValidationError

from models.files import (
    ACTIVE,
    DAMAGED,
    EMPTY,
    EXTENSIONS,
    MAX_BYTES,
    PDF,
    PROTECTED,
    TOO_LARGE,
    WRONG_TYPE,
    FileRefused,
    content_type_of,
    read_limited,
)

MAX_MEGABYTES = MAX_BYTES // (1024 * 1024)
CHOOSE_A_FILE = _l("Choisissez un fichier.")
REFUSALS = {
    EMPTY: _l("Le fichier est vide. Choisissez un autre fichier."),
    TOO_LARGE: _l("Le fichier dépasse %(max)s Mo. Envoyez un fichier plus léger (une photo "
                  "ou un scan en qualité normale suffit).", max=MAX_MEGABYTES),
    DAMAGED: _l("Ce fichier est endommagé ou illisible. Enregistrez-le de nouveau puis "
                "réessayez."),
    PROTECTED: _l("Ce PDF est protégé par un mot de passe : envoyez une version sans mot de "
                  "passe."),
    ACTIVE: _l("Ce PDF contient du code ou une action automatique (JavaScript…), refusés "
               "par sécurité. Imprimez-le en PDF (« Enregistrer au format PDF ») puis "
               "envoyez cette copie."),
}
WRONG_TYPES = {
    (PDF,): _l("Seuls les fichiers PDF sont acceptés. Ce fichier n'est pas un PDF, quel que "
               "soit son nom."),
}
ANY_DOCUMENT = _l("Seuls les fichiers PDF, JPEG ou PNG sont acceptés. Ce fichier n'en est pas "
                  "un, quel que soit son nom.")


class CheckedFileField(FileField):
    """A file input whose content must be one of `allowed` types (PDF, JPEG, PNG).

    After validation, `content` holds the bytes and `content_type` what they really are;
    nothing is written anywhere until the view stores them."""

    def __init__(self, label=None, validators=None, allowed=(PDF,), required=True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allowed = tuple(allowed)
        self.required = required
        self.content = None
        self.content_type = None
        accept = [f".{EXTENSIONS[kind]}" for kind in self.allowed] + list(self.allowed)
        if "image/jpeg" in self.allowed:
            accept.insert(0, ".jpeg")
        self.render_kw = {"accept": ",".join(accept), **(self.render_kw or {})}
        if required:
            self.flags.required = True

    def pre_validate(self, form):
        if not self.data:
            if self.required:
                raise ValidationError(CHOOSE_A_FILE)
            return
        data = read_limited(self.data.stream)
        try:
            self.content_type = content_type_of(data, self.allowed)
        except FileRefused as refused:
            if refused.reason == WRONG_TYPE:
                raise ValidationError(WRONG_TYPES.get(self.allowed, ANY_DOCUMENT)) from None
            raise ValidationError(REFUSALS[refused.reason]) from None
        self.content = data

    @property
    def file_name(self):
        return self.data.filename if self.data else ""


def send_stored(stored):
    """A stored file as a download: always an attachment, typed by what it really is.
    No file (none attached, or gone from the storage) is a 404."""
    if stored is None or not os.path.isfile(stored.path):
        abort(404)
    response = send_file(stored.path, mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.file_name, max_age=0, conditional=False,
                         etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def file_size(size):
    """'850 Ko', '2,4 Mo': the size of a file as people read it."""
    if size < 1024 * 1024:
        return _("%(size)s Ko", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s Mo", size=format_decimal(round(size / (1024 * 1024), 1)))
