"""Web Push messages and the evening-before deadline reminder.

- Push: a PushNotice row first (as the email outbox), then a job sends it to each of
  the guardian's devices with `pywebpush` (RFC 8291 encryption, VAPID signature). A
  device its push service says is gone (404, 410) is forgotten. A decision or reminder
  email to a guardian with a subscribed device gets its push twin on its own (see
  _push_twins): the email still goes, it stays the default.
- Reminder: from REMINDER_HOUR (Paris) the sweep checks, once per guardian and evening,
  the usual days not booked for the periods whose deadline is tomorrow
  (models/usual_days.py), and sends one email listing them.
"""
import base64
import ipaddress
import json
import logging
import socket
from datetime import time, timedelta
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from extensions import db
from jobs import enqueue, enqueue_after_commit, job
from jobs.emails import external_url, queue_email
from jobs.sweep import GRACE, enqueue_each, sweeper
from models import OutboundEmail, Town, User
from models.clock import to_paris, utcnow
from models.db_tools import begin_write, insert_ignoring_conflicts
from models.notifications import (
    DeadlineReminder,
    NotificationSetting,
    PushNotice,
    PushSubscription,
)
from models.usual_days import families_of, missing_days

log = logging.getLogger(__name__)
REMINDER_HOUR = 18
PUSH_TTL_SECONDS = 24 * 3600
PUSH_TIMEOUT_SECONDS = 10
PUSH_MAX_ATTEMPTS = 5
GONE = (404, 410)
NOTICES_KEPT = timedelta(days=31)
# Emails that also go as a push to the guardian's devices: what it says, where it leads.
PUSH_TWINS = {
    "request_decision": (_l("Votre demande a été traitée : ouvrez Mes demandes pour voir "
                            "chaque jour."), "planning.requests"),
    "change_decided": (_l("Une modification de votre dossier a été traitée."), "family.index"),
    "waiting_promoted": (_l("Une place s'est libérée : votre enfant est inscrit."),
                         "planning.index"),
    "deadline_reminder": (_l("Des jours habituels de vos enfants ne sont pas encore "
                             "réservés : la date limite est demain."), "planning.index"),
}


# --- VAPID ----------------------------------------------------------------------------
def _vapid_key():
    with open(current_app.config["VAPID_PRIVATE_KEY_FILE"], "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


def vapid_public_key():
    """The application server key browsers subscribe with: the uncompressed P-256
    point, base64url without padding."""
    raw = _vapid_key().public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- Endpoints we accept --------------------------------------------------------------
def _private_hosts_allowed():
    """Only the tests push to a service on this machine; elsewhere an endpoint must be
    a public HTTPS host (a forged subscription must not make the worker call into the
    town's own network)."""
    return current_app.config.get("PUSH_ALLOW_PRIVATE_HOSTS",
                                  current_app.config["PORTAIL_ENV"] == "testing")


def endpoint_is_acceptable(endpoint, resolve=True):
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return False
    allowed_private = _private_hosts_allowed()
    if parts.scheme != "https" and not (allowed_private and parts.scheme == "http"):
        return False
    if not parts.hostname or len(endpoint) > 1000:
        return False
    if allowed_private:
        return True
    if not resolve:
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        return False
    return all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses)


# --- Push twins of emails -------------------------------------------------------------
@event.listens_for(Session, "before_flush")
def _push_twins(session, _context, _instances):
    """A push for each new email of PUSH_TWINS to a guardian with a device."""
    emails = [o for o in session.new
              if isinstance(o, OutboundEmail) and o.kind in PUSH_TWINS and o.dedupe_key]
    if not emails:
        return
    users = session.scalars(select(User).join(PushSubscription,
                                              PushSubscription.user_id == User.id)
                            .where(User.email.in_({e.to_address for e in emails}))
                            .distinct()).all()
    by_address = {user.email: user for user in users}
    for email in emails:
        user = by_address.get(email.to_address)
        if user is None:
            continue
        key = f"email:{email.dedupe_key}"[:160]
        if any(isinstance(o, PushNotice) and o.dedupe_key == key for o in session.new) \
                or session.scalar(select(PushNotice.id).where(PushNotice.dedupe_key == key)):
            continue
        text, endpoint = PUSH_TWINS[email.kind]
        with force_locale(user.locale or "fr"):
            body = str(text)
        session.add(PushNotice(user_id=user.id, dedupe_key=key, title=email.subject,
                               body=body, url=external_url(endpoint)))


@event.listens_for(Session, "after_flush")
def _send_new_notices(session, _context):
    for notice in session.new:
        if isinstance(notice, PushNotice):
            enqueue_after_commit(send_push, notice.id, job_id=f"push-{notice.id}",
                                 urgent=True, new=True)


def queue_push(user, dedupe_key, title, body, url):
    """A push to the user's devices after the commit (none if they have no device, or
    it was already queued)."""
    if not PushSubscription.of(user) or PushNotice.exists(dedupe_key):
        return None
    notice = PushNotice(user_id=user.id, dedupe_key=dedupe_key, title=str(title)[:200],
                        body=str(body), url=url)
    db.session.add(notice)
    db.session.flush()
    return notice


# --- Sending --------------------------------------------------------------------------
def _session():
    """No redirects: a push service answers, it does not send us elsewhere."""
    session = requests.Session()
    session.max_redirects = 0
    session.trust_env = False
    return session


def push_to(subscription, payload):
    """Send one encrypted message; 'sent', 'gone' (the device unsubscribed) or raises."""
    from pywebpush import WebPushException, webpush

    if not endpoint_is_acceptable(subscription.endpoint):
        return "gone"
    try:
        webpush(subscription.info, json.dumps(payload),
                vapid_private_key=current_app.config["VAPID_PRIVATE_KEY_FILE"],
                vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},
                ttl=PUSH_TTL_SECONDS, timeout=PUSH_TIMEOUT_SECONDS,
                requests_session=_session())
    except WebPushException as error:
        if error.response is not None and error.response.status_code in GONE:
            return "gone"
        raise
    return "sent"


@job(urgent=True)
def send_push(notice_id):
    begin_write()
    notice = db.session.get(PushNotice, notice_id)
    if notice is None or notice.sent_at is not None:
        db.session.rollback()
        return "skipped"
    notice.attempts += 1
    db.session.commit()  # the attempt is counted even if this worker dies mid-send
    payload = {"title": notice.title, "body": notice.body, "url": notice.url,
               "tag": notice.dedupe_key}
    outcomes, errors = [], []
    for subscription in PushSubscription.of(db.session.get(User, notice.user_id)):
        try:
            outcome = push_to(subscription, payload)
        except Exception as error:  # noqa: BLE001 - one device down, the others still get it
            errors.append(f"{type(error).__name__}: {error}"[:200])
            continue
        outcomes.append(outcome)
        if outcome == "gone":
            db.session.delete(subscription)
    begin_write()
    if "sent" in outcomes or not errors:
        notice.sent_at = utcnow()
    notice.last_error = "; ".join(errors)[:500]
    db.session.commit()
    return "sent" if notice.sent_at else "failed"


@sweeper
def resend_unsent_pushes(now):
    return enqueue_each(
        PushNotice.unsent_ids(older_than=now - GRACE, max_attempts=PUSH_MAX_ATTEMPTS),
        lambda notice_id: enqueue(send_push, notice_id, job_id=f"push-{notice_id}"))


@sweeper
def purge_old_notices(now):
    """Push messages sent (or given up) and the evening checks live a month."""
    cutoff = now - NOTICES_KEPT
    begin_write()
    purged = db.session.execute(delete(PushNotice).where(
        PushNotice.created_at < cutoff)).rowcount
    db.session.execute(delete(DeadlineReminder).where(DeadlineReminder.checked_at < cutoff))
    db.session.commit()
    return purged


# --- The evening-before reminder ------------------------------------------------------
SUBJECT = _l("Rappel : des jours habituels ne sont pas encore réservés")


@sweeper
def send_deadline_reminders(now):
    """From REMINDER_HOUR in Paris, each opted-in guardian's check for tomorrow's
    deadlines, once (the row is taken under the write lock before the email is queued
    in the same transaction)."""
    local = to_paris(now)
    if local.time() < time(REMINDER_HOUR, 0):
        return 0
    today = local.date()
    tomorrow = today + timedelta(days=1)
    wanted = NotificationSetting.reminded_user_ids()
    if not wanted:
        return 0
    done = set(db.session.scalars(select(DeadlineReminder.user_id).where(
        DeadlineReminder.deadline_day == tomorrow, DeadlineReminder.user_id.in_(wanted))))
    users = db.session.scalars(select(User).where(
        User.id.in_(wanted - done), User.guardian_id.is_not(None),
        User.confirmed_at.is_not(None), User.disabled_at.is_(None)).order_by(User.id)).all()
    if not users:
        return 0
    begin_write()
    insert_ignoring_conflicts(DeadlineReminder, [
        {"user_id": u.id, "deadline_day": tomorrow, "checked_at": utcnow(), "emailed": False}
        for u in users], ["user_id", "deadline_day"])
    # Only the rows this run wrote (another sweep may have taken some meanwhile).
    mine = {row.user_id: row for row in db.session.scalars(select(DeadlineReminder).where(
        DeadlineReminder.deadline_day == tomorrow,
        DeadlineReminder.user_id.in_([u.id for u in users]),
        DeadlineReminder.emailed.is_(False)).execution_options(populate_existing=True))}
    town = Town.current()
    zone = town.holiday_zone if town else None
    missing = missing_days(families_of([u.id for u in users]), today, zone)
    sent = 0
    for user in users:
        row = mine.get(user.id)
        found = missing.get(user.family.id) if user.family else None
        if row is None or not found:
            continue
        row.emailed = True
        planning_url = external_url("planning.index")
        email = queue_email(user.email, "deadline_reminder", SUBJECT,
                            dedupe_key=f"deadline-reminder-{user.id}-{tomorrow.isoformat()}",
                            user=user, town=town, missing=found, planning_url=planning_url,
                            account_url=external_url("auth.account") + "#rappels")
        sent += email is not None
    db.session.commit()
    return sent
