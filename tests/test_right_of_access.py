"""Right of access: /ma-famille/mes-donnees.json holds every row of every table that
references the family or one of its children (the list is read from the schema, so a
new table is checked too), and the zip adds the files themselves."""
import io
import json
import zipfile

from sqlalchemy import func, select

from extensions import db
from models import Family
from models.family_data import owned_ids
from tests.helpers import activity, child, csrf_from, login, page, submit, tap, upcoming_day
from tests.samples import pdf_bytes, upload


def tables_referencing_a_family():
    """Tables with a foreign key to families or children, from db.metadata."""
    return sorted({table.name for table in db.metadata.sorted_tables
                   for fk in table.foreign_keys
                   if fk.column.table.name in ("families", "children")})


def some_of_everything(client, planning, run_jobs):
    """A document, a message, a request decided with its emails, a session."""
    login(client, *planning.PARENT)
    token = csrf_from(page(client, "/documents"))
    client.post("/documents", data={"csrf_token": token, "kind": "caf", "child": "",
                                    "file": upload(pdf_bytes(), "Attestation CAF.pdf")},
                content_type="multipart/form-data")
    submit(client, "/nous-contacter", {"subject": "Allergie", "body": "Léa et les noix.",
                                       "child": str(child("Léa").id)})
    tap(client, "Léa", "APS Soir", upcoming_day(activity("APS Soir")))
    run_jobs()


def test_the_export_holds_every_table_that_references_a_family(client, planning, run_jobs):
    some_of_everything(client, planning, run_jobs)
    response = client.get("/ma-famille/mes-donnees.json")
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    records = data["records"]
    family_id = db.session.scalar(select(Family.id).where(Family.name == "MARTIN"))
    missing = [name for name in tables_referencing_a_family() if name not in records
               and _count(name, family_id)]
    assert missing == []
    for name in ("documents", "contact_threads", "contact_messages", "requests",
                 "request_lines", "bookings", "user_sessions", "users", "guardians",
                 "children", "health_records"):
        assert records.get(name), name
    # Each table as many rows as the database holds for the family (the audit log has
    # one more since: this export, logged once it was built).
    for name, ids in owned_ids(family_id).items():
        assert len(records[name]) == len(ids) - (name == "audit_events"), name
    # Secrets stay out; the IBAN is masked.
    text = response.get_data(as_text=True)
    assert "password_hash" not in text and "token_hash" not in text
    assert "storage_key" not in text
    assert any(m["body"] == "Léa et les noix." for m in records["contact_messages"])
    assert [f["file_name"] for f in data["files"]] == ["Attestation CAF.pdf"]
    assert any(e["subject"] == "Demande reçue" for e in data["emails_sent"])


def _count(table_name, family_id):
    table = db.metadata.tables[table_name]
    children = select(db.metadata.tables["children"].c.id).where(
        db.metadata.tables["children"].c.family_id == family_id)
    column = table.c.get("family_id")
    if column is not None:
        return db.session.scalar(select(func.count()).select_from(table).where(
            column == family_id))
    return db.session.scalar(select(func.count()).select_from(table).where(
        table.c.child_id.in_(children)))


def test_every_row_of_a_referencing_table_is_exported(client, planning, run_jobs):
    """Per table: the rows with the family's id, or one of its children's."""
    some_of_everything(client, planning, run_jobs)
    records = client.get("/ma-famille/mes-donnees.json").get_json()["records"]
    family_id = db.session.scalar(select(Family.id).where(Family.name == "MARTIN"))
    for name in tables_referencing_a_family():
        assert len(records.get(name, [])) >= _count(name, family_id), name


def test_the_zip_adds_the_documents_as_sent(client, planning, run_jobs):
    some_of_everything(client, planning, run_jobs)
    response = client.get("/ma-famille/mes-donnees.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert "mes-donnees.json" in names
    document = [n for n in names if n.startswith("documents/") and n.endswith(".pdf")]
    assert document and archive.read(document[0]) == pdf_bytes()
    data = json.loads(archive.read("mes-donnees.json"))
    assert data["records"]["documents"]
