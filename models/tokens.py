"""Signed, expiring links sent by email (account confirmation, password reset...)."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_ACCOUNT = ("confirm-account", 48 * 3600)
RESET_PASSWORD = ("reset-password", 3600)
CHANGE_EMAIL = ("change-email", 48 * 3600)
# A new staff account chooses its password with this link (same page as a reset).
STAFF_INVITE = ("staff-invite", 72 * 3600)


class TokenError(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose[0])


def make_token(purpose, payload):
    return _serializer(purpose).dumps(payload)


def read_token(purpose, token, *other_purposes):
    """The payload of a token made for this purpose (or one of the others); TokenError
    if expired or forged."""
    for candidate in (purpose, *other_purposes):
        try:
            return _serializer(candidate).loads(token, max_age=candidate[1])
        except SignatureExpired as error:
            raise TokenError("expired") from error
        except BadSignature:
            continue
    raise TokenError("invalid")
