"""Web Push: the VAPID keys made once in instance/, a device subscribed from Mon compte,
and messages sent by the real pywebpush code to a push service played by a small HTTP
server on this machine, which checks the VAPID signature and decrypts the message with
the device's keys (RFC 8291) as a browser would. A device the service says is gone is
forgotten. The manifest and the service worker are served with their types."""
import base64
import json
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import func, select

import config as settings
from extensions import db
from jobs.notifications import send_push, vapid_public_key
from models import Booking, PushNotice, PushSubscription
from tests.helpers import activity, child, csrf_from, page, tap, upcoming_day


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A push service on 127.0.0.1: records each message; a path ending in /gone
    answers 410 as a service does for a device that unsubscribed."""

    def __init__(self):
        self.received = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                headers = {k.lower(): v for k, v in self.headers.items()}
                service.received.append((self.path, headers, self.rfile.read(length)))
                self.send_response(410 if self.path.endswith("/gone") else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.stop()


class Device:
    """A browser's side of a subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)
        self.p256dh = b64url(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def decrypt(self, body):
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                           version="aes128gcm"))


def subscribe(client, device, label="Firefox · Android"):
    html = page(client, "/compte")
    return client.post("/compte/appareils", data={
        "csrf_token": csrf_from(html), "endpoint": device.endpoint, "p256dh": device.p256dh,
        "auth": b64url(device.auth), "label": label})


def check_vapid(headers, endpoint_origin):
    """The Authorization header: a JWT signed with our VAPID key, for that service."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == vapid_public_key()
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(claims))["aud"] == endpoint_origin
    assert json.loads(unb64url(claims))["sub"].startswith("mailto:")
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
                  f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged


def test_vapid_keys_are_made_once(tmp_path):
    first = settings.load(str(tmp_path), environ={})
    path = first["VAPID_PRIVATE_KEY_FILE"]
    assert path == os.path.join(str(tmp_path), "vapid_private_key.pem")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    content = Path(path).read_bytes()
    assert content.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = settings.load(str(tmp_path), environ={})
    assert again["VAPID_PRIVATE_KEY_FILE"] == path and Path(path).read_bytes() == content


def test_a_device_gets_the_test_and_the_decision_pushes(parent_client, planning, push_service,
                                                        run_jobs, mailbox):
    device = Device(f"{push_service.url}/push/device-1")
    response = subscribe(parent_client, device)
    assert response.status_code == 302 and response.headers["Location"].endswith("#appareils")
    html = page(parent_client, "/compte")
    assert "Cet appareil recevra les notifications du portail." in html
    assert "Firefox · Android" in html and f'data-vapid-key="{vapid_public_key()}"' in html
    parent_client.post("/compte/appareils/essai", data={"csrf_token": csrf_from(html)})
    run_jobs()
    path, headers, body = push_service.received[-1]
    assert path == "/push/device-1"
    assert headers["content-encoding"] == "aes128gcm" and headers["ttl"] == "86400"
    check_vapid(headers, push_service.url)
    message = device.decrypt(body)
    assert message["body"] == "Les notifications fonctionnent sur cet appareil."
    # A decision: its email goes as always, and a push says it too.
    canteen = activity("Restauration scolaire")
    day = upcoming_day(canteen, 10, child("Hugo"))
    db.session.execute(db.delete(Booking).where(Booking.day == day))
    db.session.commit()
    assert tap(parent_client, "Hugo", "Restauration scolaire", day).status_code == 200
    run_jobs()
    mailbox.wait_for(planning.PARENT[0], "Demande traitée")
    decisions = [device.decrypt(b) for _p, _h, b in push_service.received[1:]]
    decision = next(m for m in decisions if m["title"] == "Demande traitée")
    assert decision["url"] == "http://localhost/mes-demandes"
    assert decision["body"].startswith("Votre demande a été traitée")
    assert db.session.scalar(select(func.count(PushNotice.id)).where(
        PushNotice.sent_at.is_(None))) == 0
    # The job delivered twice sends nothing twice.
    count = len(push_service.received)
    for notice_id in db.session.scalars(select(PushNotice.id)):
        assert send_push(notice_id) == "skipped"
    assert len(push_service.received) == count


def test_a_gone_device_is_forgotten(parent_client, planning, push_service, run_jobs):
    kept, gone = Device(f"{push_service.url}/push/kept"), Device(f"{push_service.url}/push/gone")
    subscribe(parent_client, kept)
    subscribe(parent_client, gone)
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 2
    html = page(parent_client, "/compte")
    parent_client.post("/compte/appareils/essai", data={"csrf_token": csrf_from(html)})
    run_jobs()
    assert sorted(p for p, _h, _b in push_service.received) == ["/push/gone", "/push/kept"]
    assert db.session.scalars(select(PushSubscription.endpoint)).all() == [kept.endpoint]


def test_bad_subscriptions_are_refused(parent_client, planning):
    device = Device("ftp://127.0.0.1/push")
    assert subscribe(parent_client, device).status_code == 302
    assert "n'a pas pu être abonné" in page(parent_client, "/compte")
    device = Device("http://127.0.0.1:9/push")
    device.p256dh = b64url(b"\x04" + b"x" * 10)
    subscribe(parent_client, device)
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0
    assert parent_client.post("/compte/appareils", data={"endpoint": "x"}).status_code == 400


def test_one_cannot_remove_another_guardians_device(parent_client, planning):
    subscribe(parent_client, Device("http://127.0.0.1:9/push/a"))
    device = db.session.scalar(select(PushSubscription))
    html = page(parent_client, "/compte")
    response = parent_client.post(f"/compte/appareils/{device.id + 1}/supprimer",
                                  data={"csrf_token": csrf_from(html)})
    assert response.status_code == 404
    response = parent_client.post(f"/compte/appareils/{device.id}/supprimer",
                                  data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_manifest_and_worker_are_served_with_their_types(client, demo):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    data = json.loads(manifest.data)
    assert data["display"] == "standalone" and data["start_url"] == "/"
    for icon in data["icons"]:
        picture = client.get(icon["src"])
        assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/png"
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["Content-Type"].startswith("text/javascript")
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in worker.data
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]
    home = client.get("/connexion").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in home
