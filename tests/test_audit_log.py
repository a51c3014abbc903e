"""The audit log in words: a French label for every action the code records, filters by
action, person and (Paris) day, and one entry per view of many families' health data,
found from each of those families."""
import pathlib
import re
from datetime import datetime

from sqlalchemy import select

from blueprints.admin.audit import ACTIONS
from extensions import db
from models import AuditEvent, Family, User
from models.audit import record_health_view
from tests.helpers import body, child, login, page

ROOT = pathlib.Path(__file__).resolve().parent.parent
RECORDED = re.compile(r'(?:record|record_shown|record_view)\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_]+)"')


def family(name):
    return db.session.scalar(select(Family).where(Family.name == name))


def test_every_action_recorded_in_the_code_has_a_french_label():
    sources = [p for folder in ("blueprints", "models", "jobs") for p in (ROOT / folder).rglob(
        "*.py")]
    recorded = {m for p in sources for m in RECORDED.findall(p.read_text())}
    recorded |= {"change.approved", "change.rejected", "staff.disabled"}  # built at run time
    assert len(recorded) > 30
    assert recorded - set(ACTIONS) == set()


def log(client, query=""):
    """The log's rows as text (the action filter's list names every action too)."""
    html = page(client, f"/admin/journal{query}")
    return html.split("<tbody>")[1].split("</tbody>")[0]


def event(actor, action, at, family_id=None, **details):
    row = AuditEvent.record(actor, action, family_id=family_id, **details)
    row.at = at
    return row


def test_the_log_says_actions_in_words_and_filters_them(client, demo):
    agent, admin = User.by_email(demo.AGENT[0]), User.by_email(demo.ADMIN[0])
    martin = family("MARTIN").id
    event(agent, "request.emergency", datetime(2026, 3, 10, 9), martin)
    # 23:30 UTC on 10 March is already 11 March in Paris.
    event(admin, "closure.created", datetime(2026, 3, 10, 23, 30))
    event(agent, "payment.recorded", datetime(2026, 3, 12, 9), martin)
    db.session.commit()
    login(client, *demo.ADMIN)

    html = log(client)
    assert "Demande faite par le service pour la famille" in html
    assert "request.emergency" not in html
    assert "Fermeture ajoutée" in html and "Règlement enregistré" in html

    assert "1 entrée" in page(client, "/admin/journal?action=closure.created")
    html = log(client, "?action=closure.created")
    assert "Fermeture ajoutée" in html and "Règlement enregistré" not in html

    html = log(client, "?qui=leroy")  # Nadia LEROY, the agent
    assert "Demande faite par le service" in html and "Fermeture ajoutée" not in html
    html = log(client, "?qui=ADMIN%40example")
    assert "Fermeture ajoutée" in html and "Règlement enregistré" not in html

    html = log(client, "?du=2026-03-11&au=2026-03-11")
    assert "Fermeture ajoutée" in html
    assert "Demande faite par le service" not in html and "Règlement enregistré" not in html

    assert "Dossier : MARTIN" in page(client, f"/admin/journal?famille={martin}")
    html = log(client, f"?famille={martin}&action=payment.recorded")
    assert "Règlement enregistré" in html and "Demande faite par le service" not in html


def test_bad_filters_are_said_in_french(client, demo):
    login(client, *demo.ADMIN)
    response = client.get("/admin/journal?du=31%2F02%2F2026")
    assert response.status_code == 400
    assert "Saisissez une date valide." in body(response)
    response = client.get("/admin/journal?action=nimportequoi")
    assert response.status_code == 400
    assert "Cette action n'est pas dans la liste." in body(response)
    for odd in ("du=0001-01-01", "au=9999-12-31"):  # Paris midnight overflows in UTC
        response = client.get(f"/admin/journal?{odd}")
        assert response.status_code == 400
        assert "Saisissez une date entre 01/01/2000 et 31/12/2199." in body(response)
    response = client.get("/admin/journal?du=2026-03-12&au=2026-03-11")
    assert "La date de fin est avant la date de début." in body(response)


def test_a_view_of_many_families_is_one_entry_found_from_each_family(client, demo):
    agent = User.by_email(demo.AGENT[0])
    record_health_view(agent, [child("Léa"), child("Hugo"), child("Jules")], where="roll_call")
    [read] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "health.viewed")).all()
    assert read.details == {"where": "roll_call", "children": 3, "families": 2}
    login(client, *demo.ADMIN)
    for name in ("MARTIN", "BERNARD"):
        html = page(client, f"/admin/journal?famille={family(name).id}&action=health.viewed")
        assert "Consultation des données sanitaires" in html and "1 entrée" in html
        assert "pointage, 3 enfants, 2 familles" in html


def test_the_log_is_for_admins_only(agent_client):
    assert agent_client.get("/admin/journal").status_code == 403
