"""Failed logins slow down who fails, not the account's owner.

Only failed attempts count, in sliding windows:
- per (account, address): growing delays, 5 a minute, 10 a quarter of an hour, 20 an
  hour, 50 a day;
- per account from any address: a brake on guessing from many addresses, generous
  enough that it is not a way to keep someone out;
- per address: one place trying many accounts.
A browser where the account's owner already logged in carries a signed device cookie
(set at each successful login, for a year): it skips all three and has its own limit
instead, so ten failures by someone else never keep a parent or an agent out.
"""
import hashlib
import hmac
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from extensions import limiter
from models.user import normalize_email

DEVICE_DAYS = 365
DEVICE_SALT = "portail-known-device"
ACCOUNTS_PER_DEVICE = 5


def _failed(response):
    return response.status_code >= 400


def cookie_name():
    return "__Host-device" if current_app.config["SESSION_COOKIE_SECURE"] else "portail_device"


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _account_tag(email):
    """A keyed hash of the address: the cookie does not show whose account it is."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalize_email(email).encode(), hashlib.sha256).hexdigest()[:20]


def _device():
    raw = request.cookies.get(cookie_name())
    if not raw:
        return None
    try:
        return _serializer().loads(raw, max_age=DEVICE_DAYS * 24 * 3600)
    except BadSignature:
        return None


def known_device():
    """This browser already logged in to the account whose address the form gives."""
    device = _device()
    email = request.form.get("email") or ""
    return bool(device and email and _account_tag(email) in device.get("accounts", []))


def remember_device(response, email):
    """After a successful login: this browser is now known for this account."""
    device = _device() or {"id": secrets.token_urlsafe(12), "accounts": []}
    tag = _account_tag(email)
    accounts = [tag] + [a for a in device.get("accounts", []) if a != tag]
    device["accounts"] = accounts[:ACCOUNTS_PER_DEVICE]
    config = current_app.config
    response.set_cookie(cookie_name(), _serializer().dumps(device),
                        max_age=DEVICE_DAYS * 24 * 3600, secure=config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax", path="/")
    return response


def _email():
    return normalize_email(request.form.get("email") or "")


def _account_and_address():
    return f"login:{_email()}:{request.remote_addr}"


def _account():
    return f"login:{_email()}"


def _device_key():
    device = _device() or {}
    return f"login-device:{device.get('id', '')}:{_email()}"


def _not_known_device():
    return not known_device()


login_limits = [
    limiter.limit("30 per 15 minutes", methods=["POST"], deduct_when=_failed,
                  exempt_when=known_device),
    limiter.limit("5 per minute;10 per 15 minutes;20 per hour;50 per day", methods=["POST"],
                  key_func=_account_and_address, deduct_when=_failed, exempt_when=known_device),
    limiter.limit("100 per hour", methods=["POST"], key_func=_account, deduct_when=_failed,
                  exempt_when=known_device),
    limiter.limit("10 per 15 minutes;30 per day", methods=["POST"], key_func=_device_key,
                  deduct_when=_failed, exempt_when=_not_known_device),
]
