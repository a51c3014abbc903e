"""The audit log of family files: admins read it, set how long it is kept, and the
scheduled sweep purges what is older."""
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from jobs import queue
from jobs.sweep import sweep
from models import AuditEvent, ChangeRequest, Town
from models.clock import utcnow
from tests.family_helpers import child, edit, form_data
from tests.helpers import body, login, page


def test_admins_read_who_saw_or_changed_what(client, other_client, demo):
    login(other_client, *demo.PARENT)
    hugo = child("MARTIN", "Hugo")
    response = edit(other_client, f"/ma-famille/enfants/{hugo.id}/sante/modifier",
                    {"allergies": "Kiwi", "vaccinations_up_to_date": "oui"})
    assert response.status_code == 302
    login(client, *demo.AGENT)
    page(client, f"/admin/enfants/{hugo.id}/sante")
    client.post("/deconnexion", data=form_data(page(client, "/admin/"), action="/deconnexion"))

    login(client, *demo.ADMIN)
    response = client.get("/admin/journal")
    assert response.headers["Cache-Control"] == "no-store"
    html = body(response)
    assert "Consultation des données sanitaires" in html and "Nadia LEROY" in html
    assert "Demande de modification" in html and "Données sanitaires : Allergies" in html
    assert "Mme Claire Martin" in html and "Kiwi" not in html
    martin_only = page(client, f"/admin/journal?famille={hugo.family_id}")
    assert "MARTIN" in martin_only and "BERNARD" not in martin_only


def test_retention_is_set_by_admins_and_the_sweep_purges_older_rows(client, demo):
    login(client, *demo.ADMIN)
    assert 'value="12"' in page(client, "/admin/journal")  # the default
    refused = client.post("/admin/journal/conservation", data=dict(
        form_data(page(client, "/admin/journal"), action="/admin/journal/conservation"),
        months="0"))
    assert refused.status_code == 302
    assert "Choisissez une durée entre 1 et 120 mois." in page(client, "/admin/journal")
    response = client.post("/admin/journal/conservation", data=dict(
        form_data(page(client, "/admin/journal"), action="/admin/journal/conservation"),
        months="3"))
    assert response.status_code == 302
    assert Town.current().audit_retention_months == 3
    assert "Le journal est désormais conservé 3 mois." in page(client, "/admin/journal")

    now = utcnow()
    old = AuditEvent(at=now - timedelta(days=100), action="health.viewed", details={})
    recent = AuditEvent(at=now - timedelta(days=80), action="health.viewed", details={})
    decided = ChangeRequest(family_id=child("MARTIN", "Léa").family_id, target_type="child",
                            target_id=1, field="school", status="rejected",
                            requested_at=now - timedelta(days=120),
                            decided_at=now - timedelta(days=100))
    db.session.add_all([old, recent, decided])
    db.session.commit()
    old_id, recent_id, decided_id = old.id, recent.id, decided.id

    assert sweep()["purge_audit_log"] >= 1
    assert db.session.get(AuditEvent, old_id) is None
    assert db.session.get(AuditEvent, recent_id) is not None
    assert db.session.get(ChangeRequest, decided_id) is None
    # Pending changes are never purged, however old.
    assert len(ChangeRequest.pending_for_family(child("MARTIN", "Léa").family_id)) == 2


def test_the_clock_runs_the_purge_through_the_worker(app, demo, run_jobs):
    old = AuditEvent(at=utcnow() - timedelta(days=400), action="file.updated", details={})
    db.session.add(old)
    db.session.commit()
    old_id = old.id
    queue(app).enqueue(sweep, job_id="sweep")
    run_jobs()
    db.session.rollback()
    # By id and action: SQLite may give the freed id to the retention job's own event.
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.id == old_id, AuditEvent.action == "file.updated")) is None
