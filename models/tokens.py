"""Signed, expiring links sent by email (account confirmation, password reset...)."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_ACCOUNT = ("confirm-account", 48 * 3600)
RESET_PASSWORD = ("reset-password", 3600)
CHANGE_EMAIL = ("change-email", 48 * 3600)


class TokenError(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose[0])


def make_token(purpose, payload):
    return _serializer(purpose).dumps(payload)


def read_token(purpose, token):
    """The payload of a token made for this purpose; TokenError if expired or forged."""
    try:
        return _serializer(purpose).loads(token, max_age=purpose[1])
    except SignatureExpired as error:
        raise TokenError("expired") from error
    except BadSignature as error:
        raise TokenError("invalid") from error
