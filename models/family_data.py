"""Everything the portal holds about one family, found from the schema itself: the
family row, then every row that belongs to it through an owning foreign key (a
family_id, child_id, guardian_id, user_id… column), table after table in dependency
order. A new table with a family_id or child_id is covered without a change here.

Used by the right of access (every row, as data) and by erasure on request.
"""
import datetime
import decimal

from sqlalchemy import select

from extensions import db
from models.family import mask_iban

# Foreign keys that say "this row belongs to that one". Keys naming who did something
# (decided_by_id, marked_by_id, author_id…) do not: a staff member's row is not the
# family's, and a family's author_id on a message is reached through its thread.
OWNING_COLUMNS = {"family_id", "child_id", "guardian_id", "user_id", "thread_id",
                  "request_id", "invoice_id", "payment_id"}
# Never handed out, not even to their owner: secrets, and our own file names.
SECRET_COLUMNS = {"password_hash", "token_hash", "subscriber_code_hash", "storage_key",
                  "client_token", "photo_name", "auth_secret", "p256dh"}
# Rows that name the family in a plain column rather than a foreign key.
PLAIN_FAMILY_COLUMNS = {"audit_events": "family_id"}


def owned_ids(family_id):
    """{table name: set of ids} of every row that belongs to the family."""
    owned = {"families": {family_id}}
    for table in db.metadata.sorted_tables:  # parents before the tables that point at them
        ids = set()
        for fk in table.foreign_keys:
            parent_ids = owned.get(fk.column.table.name)
            if fk.parent.name in OWNING_COLUMNS and parent_ids:
                ids |= set(db.session.scalars(select(table.c.id).where(
                    fk.parent.in_(parent_ids))))
        column = PLAIN_FAMILY_COLUMNS.get(table.name)
        if column is not None:
            ids |= set(db.session.scalars(select(table.c.id).where(
                table.c[column] == family_id)))
        if ids:
            owned[table.name] = ids
    return owned


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def records(family_id):
    """{table name: [row as a dict]}: every row of the family, secrets left out, the
    IBAN masked as everywhere on the portal."""
    found = {}
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for name, ids in owned_ids(family_id).items():
        table = tables[name]
        rows = db.session.execute(select(table).where(table.c.id.in_(ids))
                                  .order_by(table.c.id)).mappings().all()
        found[name] = [_row(row) for row in rows]
    return found


def _row(row):
    plain = {key: _plain(value) for key, value in row.items() if key not in SECRET_COLUMNS}
    if plain.get("iban"):
        plain["iban"] = mask_iban(plain["iban"])
    return plain


def stored_file_ids(family_id):
    """The uploaded files of the family (its documents), for the zip of its data."""
    from models.documents import Document

    return list(db.session.scalars(select(Document.file_id).where(
        Document.family_id == family_id)))
