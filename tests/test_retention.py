"""Retention: each kind of data is kept its period (CNIL-minded defaults), a daily job
purges the rest and says what it purged, and a family can be erased on request (its
billing kept, anonymised)."""
import os
from datetime import timedelta

from sqlalchemy import func, select

from extensions import db
from jobs.emails import queue_email
from jobs.sweep import sweep
from models import (
    AuditEvent,
    Child,
    Document,
    Enrollment,
    Family,
    HealthRecord,
    OutboundEmail,
    StoredFile,
    User,
)
from models.calendar import school_year_bounds, school_year_of
from models.clock import paris_today, utcnow
from models.family_data import owned_ids
from models.retention import KEPT_TABLES, erase_family, purge, set_period
from tests.helpers import link_in, login, submit, text_of
from tests.samples import pdf_bytes


def _email(kind="email_in_use", sent_days_ago=None):
    user = User.by_email("parent@example.org")
    email = queue_email("someone@example.net", kind, "Sujet", login_url="http://localhost/",
                        reset_url="http://localhost/", user=user)
    db.session.flush()
    if sent_days_ago is not None:
        email.sent_at = utcnow() - timedelta(days=sent_days_ago)
    db.session.commit()
    return email.id


def _document(family_id, kind="caf", uploaded_at=None):
    stored = StoredFile.save(pdf_bytes(), "application/pdf", "piece.pdf")
    document = Document(family_id=family_id, kind=kind, file=stored,
                        uploaded_at=uploaded_at or utcnow())
    db.session.add(document)
    db.session.commit()
    return document.id, stored.path


def _family(name):
    return db.session.scalar(select(Family).where(Family.name == name))


def test_email_bodies_go_some_days_after_sending(demo):
    old, recent, unsent = _email(sent_days_ago=8), _email(sent_days_ago=1), _email()
    report = purge(utcnow())
    assert report["sent_email_bodies"] == 1
    assert db.session.get(OutboundEmail, old).body_text == ""
    assert db.session.get(OutboundEmail, recent).body_text != ""
    assert db.session.get(OutboundEmail, unsent).body_text != ""


def test_reset_links_are_never_kept_in_clear(client, demo, run_jobs, mailbox):
    submit(client, "/mot-de-passe-oublie", {"email": demo.PARENT[0]})
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.kind == "reset_password"))
    assert email.body_text.startswith("fernet:") and "mot-de-passe" not in email.body_text
    assert "mot-de-passe" not in email.body_html
    run_jobs()
    received = mailbox.wait_for(demo.PARENT[0], "")
    assert "/mot-de-passe" in link_in(received, "mot-de-passe")
    db.session.expire_all()
    sent = db.session.get(OutboundEmail, email.id)
    assert sent.sent_at is not None and sent.body_text == "" and sent.body_html == ""
    assert text_of(received)


def test_unsent_link_emails_go_once_the_link_has_expired(demo):
    email_id = _email("account_exists")
    db.session.get(OutboundEmail, email_id).created_at -= timedelta(days=3)
    db.session.commit()
    assert purge(utcnow())["unsent_link_emails"] == 1
    assert db.session.get(OutboundEmail, email_id) is None


def test_a_pai_lasts_its_school_year(demo):
    martin = _family("MARTIN")
    start, _end = school_year_bounds(school_year_of(paris_today()))
    last_year = utcnow().replace(year=start.year, month=start.month, day=1) - timedelta(days=30)
    old_id, old_path = _document(martin.id, "pai", uploaded_at=last_year)
    new_id, new_path = _document(martin.id, "pai")
    caf_id, _ = _document(martin.id, "caf", uploaded_at=last_year)
    assert purge(utcnow())["pai_documents"] == 1
    db.session.commit()
    assert db.session.get(Document, old_id) is None and not os.path.exists(old_path)
    assert db.session.get(Document, new_id) is not None and os.path.exists(new_path)
    assert db.session.get(Document, caf_id) is not None


def test_a_family_that_left_loses_documents_and_health_data(demo):
    bernard, martin = _family("BERNARD"), _family("MARTIN")
    children = select(Child.id).where(Child.family_id == bernard.id)
    db.session.execute(db.delete(Enrollment).where(Enrollment.child_id.in_(children)))
    bernard.created_at = utcnow() - timedelta(days=3 * 365)
    for kid in bernard.children:
        db.session.add(HealthRecord(child_id=kid.id, allergies="arachides"))
    db.session.commit()
    gone_id, gone_path = _document(bernard.id)
    kept_id, _ = _document(martin.id)
    martin_health = db.session.scalar(select(func.count(HealthRecord.id)).join(Child).where(
        Child.family_id == martin.id))
    report = purge(utcnow())
    db.session.commit()
    assert report["departed_families"] == 1 and report["departed_documents"] == 1
    assert report["departed_health_records"] == len(bernard.children)
    assert db.session.get(Document, gone_id) is None and not os.path.exists(gone_path)
    assert db.session.get(Document, kept_id) is not None
    assert db.session.scalar(select(func.count(HealthRecord.id)).join(Child).where(
        Child.family_id == martin.id)) == martin_health


def test_a_period_can_be_changed(demo):
    email_id = _email(sent_days_ago=2)
    set_period("sent_email_bodies", 1)
    db.session.commit()
    assert purge(utcnow())["sent_email_bodies"] == 1
    assert db.session.get(OutboundEmail, email_id).body_text == ""


def test_the_daily_job_runs_once_a_day_and_says_what_it_purged(app, demo, run_jobs):
    _email(sent_days_ago=30)
    assert sweep()["enqueue_daily_retention"] == 1
    assert sweep()["enqueue_daily_retention"] == 0
    run_jobs()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "retention.purged")).all()
    assert len(events) == 1 and events[0].details["sent_email_bodies"] == 1


def test_the_cli_prints_the_report(app, demo):
    _email(sent_days_ago=30)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "sent_email_bodies" in result.output and " 1" in result.output


def test_a_family_is_erased_on_request_its_billing_kept_anonymised(client, demo):
    martin = _family("MARTIN")
    family_id = martin.id
    _document(family_id)
    login(client, *demo.PARENT)
    report = erase_family(family_id)
    db.session.commit()
    assert report["children"] == 2 and report["users"] >= 1
    left = owned_ids(family_id)
    assert set(left) <= KEPT_TABLES, set(left) - KEPT_TABLES
    family = db.session.get(Family, family_id)
    assert family.name.startswith("Famille effacée") and family.iban == ""
    assert User.by_email(demo.PARENT[0]) is None
    assert client.get("/ma-famille/").status_code == 302  # the session went with the user
