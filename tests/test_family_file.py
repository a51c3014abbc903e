"""Ma famille: a parent's change waits for staff, shown in yellow; staff approve (applied,
email sent) or reject (unchanged); staff edit directly; the file downloads (right of
access)."""
import json
import re
from contextlib import contextmanager

from sqlalchemy import event, select

from extensions import db
from models import AuditEvent, ChangeRequest, Family, OutboundEmail
from tests.family_helpers import bernard_parent, child, edit, family, form_data, guardian
from tests.helpers import body, login, page, text_of

DEMO_IBAN = "FR1420041010050500013M02606"


def pending_blocks(html):
    """The yellow 'pending' boxes of a page, as text."""
    blocks = re.findall(r'<div class="pending">(.*?)</div>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", b).split()) for b in blocks]


def decide(client, change, decision, comment="", htmx=False):
    html = page(client, "/admin/modifications")
    action = f"/admin/modifications/{change.id}/decision"
    data = form_data(html, action=action)
    data["decision"] = decision
    data["comment"] = comment
    headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if htmx else {}
    return client.post(action, data=data, headers=headers)


def pending_change(field, status="pending"):
    return db.session.scalar(select(ChangeRequest).where(
        ChangeRequest.field == field, ChangeRequest.status == status))


def test_parent_sees_the_file_with_the_iban_masked_and_nothing_cached(parent_client):
    response = parent_client.get("/ma-famille/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = body(response)
    assert "Claire MARTIN" in html and "Thomas MARTIN" in html and "12 rue des Tilleuls" in html
    assert "•••• •••• •••• 2606" in html
    assert DEMO_IBAN not in html and DEMO_IBAN[:8] not in html
    # The demo's change of Thomas's profession is waiting, shown beside the empty value.
    assert any("Infirmier" in b and "en attente de validation" in b for b in pending_blocks(html))
    assert "Léa MARTIN" in html and "Hugo MARTIN" in html


def test_phone_change_waits_in_yellow_then_staff_approve_and_the_parent_is_told(
        parent_client, other_client, demo, run_jobs, mailbox):
    claire = guardian("MARTIN", "Claire")
    url = f"/ma-famille/responsables/{claire.id}/modifier"
    response = edit(parent_client, url, {"mobile_phone": "+33 7 61 22 33 44"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/ma-famille/")

    html = page(parent_client, "/ma-famille/")
    assert "Votre modification est envoyée au service enfance" in html
    # The validated value stays, the new one is beside it in yellow, formatted.
    assert "06 12 34 56 78" in html
    assert any("07 61 22 33 44" in b and "en attente de validation" in b
               for b in pending_blocks(html))
    assert guardian("MARTIN", "Claire").mobile_phone == "06 12 34 56 78"
    assert "1 modification de votre dossier attend" in page(parent_client, "/") or \
        "modifications de votre dossier attendent" in page(parent_client, "/")

    login(other_client, *demo.AGENT)
    queue = page(other_client, "/admin/modifications")
    assert queue.index("Famille MARTIN") < queue.index("07 61 22 33 44")
    assert re.search(r"06 12 34 56 78</span>\s*<span class=\"arrow\"[^>]*>→</span>\s*"
                     r"<span class=\"new[^\"]*\"><span class=\"visually-hidden\">Nouvelle valeur"
                     r" : </span>07 61 22 33 44", queue)
    change = pending_change("mobile_phone")
    response = decide(other_client, change, "approve", "Merci, c'est noté.")
    assert response.status_code == 302
    assert guardian("MARTIN", "Claire").mobile_phone == "07 61 22 33 44"
    db.session.refresh(change)
    assert change.status == "approved" and change.new_value is None  # values not kept

    run_jobs()
    email = mailbox.wait_for(demo.PARENT[0], "validée")
    content = text_of(email)
    assert "Téléphone portable" in content and "Merci, c'est noté." in content
    assert "07 61 22 33 44" not in content  # no value of the file in an email

    html = page(parent_client, "/ma-famille/")
    assert "07 61 22 33 44" in html and not any("07 61 22 33 44" in b
                                               for b in pending_blocks(html))
    home = page(parent_client, "/")
    assert "Réponses du service enfance" in home and "Validée" in home
    assert "Merci, c'est noté." in home
    # Dismissed, the decision leaves the home page.
    token = form_data(home, action="/ma-famille/decisions/masquer")
    parent_client.post("/ma-famille/decisions/masquer", data=token)
    assert "Réponses du service enfance" not in page(parent_client, "/")

    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.family_id == claire.family_id)).all()
    assert "change.requested" in actions and "change.approved" in actions
    details = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    assert "07 61 22 33 44" not in details and "mobile_phone" in details


def test_rejected_change_leaves_the_file_as_it_was(parent_client, other_client, demo,
                                                   run_jobs, mailbox):
    response = edit(parent_client, "/ma-famille/adresse/modifier",
                    {"address_line": "8 avenue du Port", "postal_code": "44000",
                     "city": "Nantes"})
    assert response.status_code == 302
    assert len(ChangeRequest.pending_for_family(family("MARTIN").id)) == 2 + 3

    login(other_client, *demo.AGENT)
    for field in ("address_line", "postal_code", "city"):
        response = decide(other_client, pending_change(field), "reject",
                          "Merci de joindre un justificatif de domicile.")
        assert response.status_code == 302
    martin = family("MARTIN")
    assert (martin.address_line, martin.postal_code, martin.city) == (
        "12 rue des Tilleuls", "44680", "Beaulieu-sur-Loire")

    run_jobs()
    email = mailbox.wait_for(demo.PARENT[0], "n'est pas acceptée")
    assert "justificatif de domicile" in text_of(email)
    assert len(mailbox.to(demo.PARENT[0])) == 3
    html = page(parent_client, "/ma-famille/")
    assert "Refusée" in html and "8 avenue du Port" not in html


def test_a_second_change_replaces_the_first_and_the_old_value_withdraws_it(parent_client):
    claire = guardian("MARTIN", "Claire")
    url = f"/ma-famille/responsables/{claire.id}/modifier"
    edit(parent_client, url, {"home_phone": "02 40 11 11 11"})
    first = pending_change("home_phone")
    # The form shows what the parent asked for, and a new value replaces it.
    assert form_data(page(parent_client, url), action=url)["home_phone"] == "02 40 11 11 11"
    edit(parent_client, url, {"home_phone": "0240222222"})
    changes = db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.field == "home_phone")).all()
    assert len(changes) == 1 and changes[0].id == first.id
    assert changes[0].new_value == "02 40 22 22 22"
    # Back to the validated value (empty): the pending change is withdrawn.
    response = edit(parent_client, url, {"home_phone": ""})
    assert response.status_code == 302
    assert pending_change("home_phone") is None
    assert "la valeur validée reste en place" in page(parent_client, "/ma-famille/")


def test_parent_withdraws_a_pending_change(parent_client):
    change = pending_change("profession")
    html = page(parent_client, "/ma-famille/")
    action = f"/ma-famille/modifications/{change.id}/retirer"
    response = parent_client.post(action, data=form_data(html, action=action))
    assert response.status_code == 302
    db.session.refresh(change)
    assert change.status == "withdrawn"
    html = page(parent_client, "/ma-famille/")
    assert "Demande retirée" in html and "Infirmier" not in html
    assert guardian("MARTIN", "Thomas").profession == ""


def test_a_withdrawn_change_cannot_be_approved(parent_client, other_client, demo):
    change = pending_change("profession")
    login(other_client, *demo.AGENT)
    queue = page(other_client, "/admin/modifications")
    action = f"/ma-famille/modifications/{change.id}/retirer"
    parent_client.post(action, data=form_data(page(parent_client, "/ma-famille/"),
                                              action=action))
    data = form_data(queue, action=f"/admin/modifications/{change.id}/decision")
    data["decision"] = "approve"
    response = other_client.post(f"/admin/modifications/{change.id}/decision", data=data,
                                 headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert "Cette modification a déjà été traitée ou retirée." in body(response)
    assert guardian("MARTIN", "Thomas").profession == ""


def test_staff_decide_in_place_with_htmx(agent_client):
    change = pending_change("profession")
    response = decide(agent_client, change, "approve", htmx=True)
    html = body(response)
    assert response.status_code == 200 and "<html" not in html
    assert f'id="change-{change.id}"' in html and "Validée" in html
    assert "Modification validée et appliquée" in html
    assert guardian("MARTIN", "Thomas").profession == "Infirmier"


def test_queue_is_oldest_first_grouped_by_family(app, parent_client, other_client, demo):
    sophie = bernard_parent(app.test_client())
    jules = child("BERNARD", "Jules")
    edit(sophie, f"/ma-famille/enfants/{jules.id}/informations/modifier", {"class_name": "CM2"})
    lea = child("MARTIN", "Léa")
    edit(parent_client, f"/ma-famille/enfants/{lea.id}/informations/modifier",
         {"school": "École du Port"})
    login(other_client, *demo.AGENT)
    queue = page(other_client, "/admin/modifications")
    # MARTIN's demo changes are the oldest: its group comes first and holds Léa's too.
    assert queue.index("Famille MARTIN") < queue.index("Famille BERNARD")
    assert queue.index("Infirmier") < queue.index("École du Port") < queue.index("CM2")
    only_bernard = page(other_client, f"/admin/modifications?famille={jules.family_id}")
    assert "CM2" in only_bernard and "Famille MARTIN" not in only_bernard


def test_staff_edit_applies_at_once_and_is_logged(agent_client):
    claire = guardian("MARTIN", "Claire")
    response = edit(agent_client, f"/admin/responsables/{claire.id}/modifier",
                    {"mobile_phone": "0761223344", "profession": "Architecte"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/familles/{claire.family_id}#responsable-" \
        f"{claire.id}"
    claire = guardian("MARTIN", "Claire")
    assert claire.mobile_phone == "07 61 22 33 44" and claire.profession == "Architecte"
    assert pending_change("mobile_phone") is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "file.updated"))
    assert event.details == {"part": "guardian", "fields": ["mobile_phone", "profession"]}
    assert "Dossier mis à jour." in page(agent_client, f"/admin/familles/{claire.family_id}")


def test_staff_see_pending_values_in_the_family_file(agent_client):
    martin = family("MARTIN")
    html = page(agent_client, f"/admin/familles/{martin.id}")
    assert "2 modifications attendent une décision" in html
    assert any("Infirmier" in b and "À valider" in b for b in pending_blocks(html))
    assert DEMO_IBAN not in html and "•••• •••• •••• 2606" in html


def test_iban_is_checked_masked_everywhere_and_its_bic_found(parent_client, other_client,
                                                             demo):
    new_iban = "FR76 3000 6000 0112 3456 7890 189"
    response = edit(parent_client, "/ma-famille/banque/modifier",
                    {"iban": new_iban.lower(), "bic": ""})
    assert response.status_code == 302
    html = page(parent_client, "/ma-famille/")
    assert any("•••• •••• •••• 0189" in b for b in pending_blocks(html))
    assert "30006000011234567890189" not in html.replace(" ", "")
    form = page(parent_client, "/ma-famille/banque/modifier")
    assert "0189" not in form and "•••• •••• •••• 2606" in form  # never shown back in full
    login(other_client, *demo.AGENT)
    queue = page(other_client, "/admin/modifications")
    assert "•••• •••• •••• 0189" in queue and "30006000011234567890189" not in queue
    decide(other_client, pending_change("iban"), "approve")
    decide(other_client, pending_change("bic"), "approve")
    martin = family("MARTIN")
    assert martin.iban == "FR7630006000011234567890189" and martin.bic == "AGRIFRPPXXX"


def test_blank_iban_keeps_the_saved_one(parent_client):
    response = edit(parent_client, "/ma-famille/banque/modifier",
                    {"bank_holder": "Claire et Thomas MARTIN"})
    assert response.status_code == 302
    assert pending_change("bank_holder").new_value == "Claire et Thomas MARTIN"
    assert pending_change("iban") is None and pending_change("bic") is None


def test_health_data_change_and_staff_reads_are_logged(parent_client, other_client, demo):
    hugo = child("MARTIN", "Hugo")
    url = f"/ma-famille/enfants/{hugo.id}/sante/modifier"
    response = edit(parent_client, url, {"allergies": "Kiwi", "diets": ["sans_gluten"],
                                         "pai": "oui", "vaccinations_up_to_date": "oui"})
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    tab = parent_client.get(f"/ma-famille/enfants/{hugo.id}/sante")
    assert tab.headers["Cache-Control"] == "no-store"
    blocks = pending_blocks(body(tab))
    assert any("Kiwi" in b for b in blocks) and any("Sans gluten" in b for b in blocks)
    # The demo's pending diet (végétarien) was replaced, not duplicated.
    diets = db.session.scalars(select(ChangeRequest).where(
        ChangeRequest.field == "diets", ChangeRequest.status == "pending")).all()
    assert [c.new_value for c in diets] == [["sans_gluten"]]
    # Parents reading their own child's health data are not logged; staff are.
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "health.viewed")) is None

    login(other_client, *demo.AGENT)
    response = other_client.get(f"/admin/enfants/{hugo.id}/sante")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page(other_client, "/admin/modifications")
    reads = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "health.viewed")).all()
    assert len(reads) == 2 and {r.target_id for r in reads} == {hugo.id}
    assert all("Kiwi" not in json.dumps(r.details) for r in reads)
    for field in ("allergies", "diets", "pai", "vaccinations_up_to_date"):
        decide(other_client, pending_change(field), "approve")
    record = child("MARTIN", "Hugo").health_record
    assert (record.allergies, record.diets, record.pai, record.vaccinations_up_to_date) == (
        "Kiwi", ["sans_gluten"], True, True)


def test_diets_are_the_kitchen_list_only(parent_client):
    hugo = child("MARTIN", "Hugo")
    url = f"/ma-famille/enfants/{hugo.id}/sante/modifier"
    html = page(parent_client, url)
    offered = set(re.findall(r'name="diets"[^>]*value="([^"]+)"', html))
    assert offered == {"sans_porc", "sans_viande", "vegetarien", "sans_gluten", "sans_lactose"}
    for word in ("halal", "casher", "kasher", "religi"):
        assert word not in html.lower()
    response = edit(parent_client, url, {"diets": ["halal"]})
    assert response.status_code == 422
    assert pending_change("diets").new_value == ["vegetarien"]  # the demo's, untouched


def test_town_authorizations_are_asked_and_answered(parent_client, other_client, demo):
    login(other_client, *demo.ADMIN)
    response = edit(other_client, "/admin/autorisations",
                    {"label": "Autorise la sortie à la piscine", "description": ""})
    assert response.status_code == 302
    lea = child("MARTIN", "Léa")
    url = f"/ma-famille/enfants/{lea.id}/autorisations/modifier"
    html = page(parent_client, url)
    assert "Autorise la sortie à la piscine" in html and "Peut partir seul" in html
    unanswered = edit(parent_client, url, {})
    assert unanswered.status_code == 422 and "Répondez par oui ou par non." in body(unanswered)
    kind = re.search(r'name="(town_\d+)"', html).group(1)
    assert edit(parent_client, url, {kind: "oui", "leave_alone": "oui"}).status_code == 302
    tab = page(parent_client, f"/ma-famille/enfants/{lea.id}/autorisations")
    assert len([b for b in pending_blocks(tab) if "Oui" in b]) == 2
    assert {c.field for c in ChangeRequest.pending_for_family(lea.family_id)} >= {
        kind, "leave_alone"}


def test_contacts_are_proposed_approved_and_removed(parent_client, other_client, demo):
    lea = child("MARTIN", "Léa")
    url = f"/ma-famille/enfants/{lea.id}/contacts/nouveau"
    missing_role = edit(parent_client, url, {"full_name": "Jean Petit", "relation": "Voisin",
                                             "phone": "06 01 02 03 04"})
    assert missing_role.status_code == 422
    assert "Cochez au moins une des deux cases." in body(missing_role)
    response = edit(parent_client, url, {"full_name": "Jean Petit", "relation": "Voisin",
                                         "phone": "0601020304", "may_pick_up": "y"})
    assert response.status_code == 302
    tab = page(parent_client, f"/ma-famille/enfants/{lea.id}/contacts")
    assert any("Jean Petit" in b and "Peut venir chercher l'enfant" in b
               for b in pending_blocks(tab))
    assert [p.full_name for p in lea.authorized_persons] == ["Monique Durand"]

    login(other_client, *demo.AGENT)
    new = db.session.scalar(select(ChangeRequest).where(ChangeRequest.action == "create"))
    decide(other_client, new, "approve")
    names = [p.full_name for p in child("MARTIN", "Léa").authorized_persons]
    assert names == ["Monique Durand", "Jean Petit"]

    monique = child("MARTIN", "Léa").authorized_persons[0]
    action = f"/ma-famille/enfants/{lea.id}/contacts/{monique.id}/supprimer"
    tab = page(parent_client, f"/ma-famille/enfants/{lea.id}/contacts")
    assert parent_client.post(action, data=form_data(tab, action=action)).status_code == 302
    assert "Suppression demandée" in page(parent_client, f"/ma-famille/enfants/{lea.id}/contacts")
    removal = db.session.scalar(select(ChangeRequest).where(ChangeRequest.action == "delete"))
    decide(other_client, removal, "approve")
    assert [p.full_name for p in child("MARTIN", "Léa").authorized_persons] == ["Jean Petit"]


def test_right_of_access_downloads(parent_client):
    response = parent_client.get("/ma-famille/mes-donnees.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="dossier-famille-martin.json"'
    data = response.get_json()
    assert data["family"]["iban"] == "•••• •••• •••• 2606"
    assert DEMO_IBAN not in response.get_data(as_text=True)
    lea = next(c for c in data["children"] if c["first_name"] == "Léa")
    assert lea["health"]["allergies"].startswith("Arachides")
    assert lea["authorized_persons"][0]["full_name"] == "Monique Durand"
    assert {a["question"] for a in lea["authorizations"]} >= {"Peut partir seul après l'activité"}
    assert data["guardians"][0]["account"]["login_email"] == "parent@example.org"
    assert {p["new_value"] for p in data["pending_changes"]} == {"Infirmier", "Végétarien"}
    assert data["billing"]["quotient"] == 720
    assert data["billing"]["mandate_reference"] == "PF-MARTIN-0001"

    html = page(parent_client, "/ma-famille/mes-donnees")
    assert "Dossier famille MARTIN" in html and "Arachides" in html and "Monique Durand" in html
    assert "data-print" in html and DEMO_IBAN not in html
    assert "Quotient familial" in html and "PF-MARTIN-0001" in html
    formats = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "file.exported")).all()
    assert sorted(e.details["format"] for e in formats) == ["html", "json"]


def test_pages_have_no_inline_script_or_style(parent_client):
    lea = child("MARTIN", "Léa")
    urls = ["/ma-famille/", f"/ma-famille/enfants/{lea.id}", "/ma-famille/mes-donnees",
            f"/ma-famille/enfants/{lea.id}/photo", f"/ma-famille/enfants/{lea.id}/sante/modifier"]
    for url in urls:
        html = page(parent_client, url)
        assert "<script>" not in html and "style=" not in html and " onclick" not in html


def test_demo_is_idempotent(demo):
    before = db.session.scalar(select(ChangeRequest.id).order_by(ChangeRequest.id.desc()))
    assert demo.load() is False
    assert db.session.scalar(select(ChangeRequest.id).order_by(
        ChangeRequest.id.desc())) == before
    assert db.session.scalar(select(Family.iban).where(Family.name == "MARTIN")) == DEMO_IBAN
    assert db.session.scalar(select(OutboundEmail.id)) is None


@contextmanager
def counted_queries(app):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_pages_query_the_database_a_bounded_number_of_times(app, parent_client, other_client,
                                                            demo):
    lea = child("MARTIN", "Léa")
    login(other_client, *demo.AGENT)
    urls = [(parent_client, "/ma-famille/"),
            (parent_client, f"/ma-famille/enfants/{lea.id}/contacts"),
            (other_client, "/admin/modifications")]
    before = {}
    for client, url in urls:
        with counted_queries(app) as statements:
            assert client.get(url).status_code == 200
        before[url] = len(statements)
    for number in range(4):
        edit(parent_client, f"/ma-famille/enfants/{lea.id}/contacts/nouveau", {
            "full_name": f"Contact {number}", "relation": "Voisin", "phone": "0612345678",
            "may_pick_up": "y"})
        edit(parent_client, f"/ma-famille/responsables/{guardian('MARTIN', 'Claire').id}"
             "/modifier", {"profession": f"Métier {number}", "home_phone": f"024011111{number}"})
    for client, url in urls:
        with counted_queries(app) as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == before[url], (url, before[url], statements)
