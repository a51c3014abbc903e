"""Development-only pages: the mailbox of the local SMTP sink (see cli.py mailsink).

Registered only when PORTAIL_ENV=development, so a person trying the portal can open
the confirmation email and click its link.
"""
import os
from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("dev", __name__, url_prefix="/dev")


def _messages():
    folder = current_app.config["MAIL_SINK_DIR"]
    if not folder or not os.path.isdir(folder):
        return []
    names = sorted((n for n in os.listdir(folder) if n.endswith(".eml")), reverse=True)
    return names[:200]


def _read(name):
    path = os.path.join(current_app.config["MAIL_SINK_DIR"], name)
    with open(path, "rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    text = message.get_body(preferencelist=("plain",))
    return {
        "name": name,
        "to": message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "text": text.get_content() if text else "",
    }


@bp.get("/boite-mail")
def mailbox():
    return render_template("dev/mailbox.html", messages=[_read(n) for n in _messages()[:50]])


@bp.get("/boite-mail/<name>")
def message(name):
    if name not in _messages():
        abort(404)
    return render_template("dev/message.html", message=_read(name))
