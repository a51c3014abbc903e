"""Password hashing (Argon2id) and the password policy (NIST SP 800-63B / OWASP ASVS)."""
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 256

# OWASP password storage cheat sheet: Argon2id, m=19 MiB, t=2, p=1. The test profile
# keeps the algorithm but cheap parameters, so the suite stays fast.
PROFILES = {
    "owasp": {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1},
    "test": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}


@cache
def _hasher(profile):
    return PasswordHasher(**PROFILES[profile])


def hasher():
    return _hasher(current_app.config["ARGON2_PROFILE"])


def hash_password(password):
    return hasher().hash(password)


def verify_password(password_hash, password):
    """True when the password matches; never raises on a malformed hash."""
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return hasher().check_needs_rehash(password_hash)


_DUMMY_HASHES = {}


def waste_time_like_a_verification(password):
    """Verify against a throwaway hash so an unknown email costs as much as a known one."""
    profile = current_app.config["ARGON2_PROFILE"]
    if profile not in _DUMMY_HASHES:
        _DUMMY_HASHES[profile] = hasher().hash("not-a-real-password")
    verify_password(_DUMMY_HASHES[profile], password)


@cache
def _common_passwords():
    # zxcvbn ships the 30,000 most used passwords (French ones such as azerty included).
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password, email=""):
    """Why a new password is refused, as a short code, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        return "common"
    if email and lowered in (email.lower(), email.split("@")[0].lower()):
        return "like_email"
    return None
