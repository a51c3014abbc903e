"""Agenda and notifications: thin views, the rules in models/notifications.py,
models/calendar_feed.py and jobs/notifications.py."""
import base64
import binascii
import hashlib
import json
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common.pages import render_page
from extensions import db, limiter
from jobs.emails import external_url
from jobs.notifications import endpoint_is_acceptable, queue_push, vapid_public_key
from models import Town
from models.calendar_feed import build_feed
from models.clock import paris_today, utcnow
from models.notifications import CalendarFeed, NotificationSetting, PushSubscription
from security import never_stored, parent_required

bp = Blueprint("notifications", __name__, url_prefix="/compte")
bp.before_request(parent_required)
bp.after_request(never_stored)
public_bp = Blueprint("feeds", __name__)

# --- What Mon compte shows ------------------------------------------------------------
class Panel:
    """What the sections of Mon compte need, read once per request."""

    def __init__(self, user):
        self.user = user
        self.feed = CalendarFeed.of(user)
        self.reminders = NotificationSetting.wants_reminders(user)
        self.devices = PushSubscription.of(user)

    @property
    def vapid_key(self):
        return vapid_public_key()


@bp.app_context_processor
def account_panel():
    def notification_panel():
        if not (current_user.is_authenticated and not current_user.is_staff
                and current_user.family is not None):
            return None
        if "notification_panel" not in g:
            g.notification_panel = Panel(current_user)
        return g.notification_panel

    return {"notification_panel": notification_panel}


def _section(block):
    """Back to that section of Mon compte, where a flash says what was done."""
    return redirect(url_for("auth.account") + "#" + block)


# --- Calendar feed --------------------------------------------------------------------
def feed_url(token, scheme=None):
    url = external_url("feeds.calendar", token=token)  # PUBLIC_URL, as in emails
    if scheme == "webcal":
        return "webcal://" + url.split("://", 1)[1]
    return url


@bp.post("/agenda")
@limiter.limit("20 per hour", key_func=lambda: f"feed-issue:{current_user.id}")
def issue_feed():
    token = CalendarFeed.issue(current_user)
    db.session.commit()
    # Shown this once: only its hash is kept.
    return render_page("notifications/feed_created.html", feed_url=feed_url(token),
                       webcal_url=feed_url(token, "webcal"))


@bp.post("/agenda/supprimer")
def revoke_feed():
    CalendarFeed.revoke(current_user)
    db.session.commit()
    flash(_("Le lien d'agenda est supprimé : les calendriers qui l'utilisaient ne "
            "reçoivent plus rien."), "success")
    return _section("agenda")


def _feed_key():
    """Per feed: calendar services fetch many families' feeds from the same address."""
    token = (request.view_args or {}).get("token", "")
    return "feed:" + hashlib.sha256(token.encode()).hexdigest()[:24]


def _not_found(response):
    return response.status_code == 404


@public_bp.get("/agenda/<token>.ics")
@limiter.limit("60 per hour", key_func=_feed_key)
# Guessing tokens: only the misses count against an address.
@limiter.limit("100 per hour", key_func=lambda: f"feed-miss:{request.remote_addr}",
               deduct_when=_not_found)
def calendar(token):
    feed = CalendarFeed.find(token)
    if feed is None:
        abort(404)
    town = Town.current()
    with force_locale(feed.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = build_feed(feed.family, paris_today(), town,
                          urlsplit(current_app.config["PUBLIC_URL"]).hostname or "portail")
    response = make_response(text)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="planning.ics"'
    # The URL is the secret: no cache keeps the family's planning, no page sends it on.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- Reminders ------------------------------------------------------------------------
@bp.post("/rappels")
def set_reminders():
    wanted = request.form.get("rappels") == "oui"
    NotificationSetting.set_reminders(current_user, wanted)
    db.session.commit()
    flash(_("Vous recevrez un rappel la veille d'une date limite si des jours habituels "
            "ne sont pas réservés.") if wanted else _("Plus de rappel des dates limites."),
          "success")
    return _section("rappels")


# --- Devices (Web Push) ---------------------------------------------------------------
def _key_bytes(text, length):
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


@bp.post("/appareils")
@limiter.limit("20 per hour", key_func=lambda: f"push-subscribe:{current_user.id}")
def subscribe_device():
    endpoint = (request.form.get("endpoint") or "").strip()
    p256dh = (request.form.get("p256dh") or "").strip()
    auth = (request.form.get("auth") or "").strip()
    point = _key_bytes(p256dh, 65)
    if (not endpoint_is_acceptable(endpoint, resolve=False) or point is None
            or point[0] != 4 or _key_bytes(auth, 16) is None):
        flash(_("Cet appareil n'a pas pu être abonné aux notifications. Réessayez depuis "
                "un navigateur à jour."), "error")
        return _section("appareils")
    PushSubscription.save(current_user, endpoint, p256dh, auth,
                          request.form.get("label", "").strip())
    db.session.commit()
    flash(_("Cet appareil recevra les notifications du portail."), "success")
    return _section("appareils")


@bp.post("/appareils/<int:device_id>/supprimer")
def remove_device(device_id):
    device = db.session.get(PushSubscription, device_id)
    if device is None or device.user_id != current_user.id:
        abort(404)
    db.session.delete(device)
    db.session.commit()
    flash(_("Cet appareil ne recevra plus de notifications."), "success")
    return _section("appareils")


@bp.post("/appareils/essai")
@limiter.limit("10 per hour", key_func=lambda: f"push-test:{current_user.id}")
def test_push():
    notice = queue_push(current_user, f"test-{current_user.id}-{utcnow().isoformat()}",
                        _("Portail Famille"), _("Les notifications fonctionnent sur cet "
                                                "appareil."), url_for("auth.account",
                                                                       _external=True))
    db.session.commit()
    if notice is None:
        flash(_("Aucun appareil n'est abonné."), "error")
    else:
        flash(_("Une notification d'essai est envoyée à vos appareils."), "success")
    return _section("appareils")


# --- Installable portal ---------------------------------------------------------------
@public_bp.get("/manifest.webmanifest")
def manifest():
    town = Town.current()
    name = _("Portail Famille")
    icons = [{"src": url_for("static", filename=f"img/icon-{size}.png"),
              "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
             for size in (192, 512) for purpose in ("any", "maskable")]
    body = {
        "name": f"{name} · {town.name}" if town else name,
        "short_name": name,
        "description": _("Réservations, factures et démarches du service enfance."),
        "lang": str(request.accept_languages.best_match(("fr", "en")) or "fr"),
        "start_url": url_for("home.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
        "icons": icons,
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.headers["Content-Type"] = "application/manifest+json; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


@public_bp.get("/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
