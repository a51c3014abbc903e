"""Helpers for the family file tests: fill a form the way a browser would, and set up
a second family with its own account."""
from html.parser import HTMLParser
from io import BytesIO

from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from extensions import db
from models import AuthorizedPerson, Family, User
from models.clock import utcnow
from tests.helpers import login, page

BERNARD_LOGIN = ("sophie@example.net", "une phrase assez longue")


class _Forms(HTMLParser):
    """The forms of a page with what a browser would send: checked boxes only, etc."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        kind = attrs.get("type", "text")
        if tag == "input" and "name" in attrs and kind not in ("submit", "button", "file"):
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._form["fields"].append([attrs["name"], attrs.get("value", "")])
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self._form["fields"].append([self._select, attrs.get("value", "")])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_data(html, action=None):
    """The data of the page's form (posting to `action`, or its last form with fields)."""
    parser = _Forms()
    parser.feed(html)
    forms = [f for f in parser.forms if action is None or f["action"] == action]
    assert forms, f"no form posting to {action!r}"
    return MultiDict([tuple(field) for field in forms[-1]["fields"]])


def edit(client, url, changes, **kwargs):
    """Open a form page, change some fields (a list sets a multi-valued field), post it."""
    data = form_data(page(client, url), action=url)
    for name, value in changes.items():
        if isinstance(value, list):
            data.setlist(name, value)
        elif value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data=data, **kwargs)


def family(name):
    """The family as stored now: a browser test reads what the live server committed, so
    objects the test's session still holds are refreshed (they may be stale)."""
    db.session.expire_all()
    return db.session.scalar(select(Family).where(Family.name == name))


def guardian(family_name, first_name):
    return next(g for g in family(family_name).guardians if g.first_name == first_name)


def child(family_name, first_name):
    return next(c for c in family(family_name).children if c.first_name == first_name)


def bernard_parent(client):
    """Give Sophie BERNARD an account (with a contact for Jules) and log her in."""
    sophie = guardian("BERNARD", "Sophie")
    user = User(email=BERNARD_LOGIN[0], civility="Mme", first_name="Sophie",
                last_name="Bernard", guardian=sophie, confirmed_at=utcnow())
    user.set_password(BERNARD_LOGIN[1])
    db.session.add(user)
    jules = child("BERNARD", "Jules")
    jules.authorized_persons.append(AuthorizedPerson(
        full_name="Paul Martin", relation="Voisin", phone="06 55 44 33 22", may_pick_up=True))
    db.session.commit()
    assert login(client, *BERNARD_LOGIN).status_code == 302
    return client


def image_bytes(fmt="JPEG", size=(1600, 1200), exif=True):
    image = Image.new("RGB", size, (200, 120, 40))
    buffer = BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "TelephoneCamera"  # Make
        data[0x8825] = {2: (47.0, 13.0, 0.0)}  # GPS latitude
        options["exif"] = data
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
