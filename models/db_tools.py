"""Small database helpers that behave the same on SQLite and PostgreSQL."""
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db


def dialect_name():
    return db.session.get_bind().dialect.name


def begin_write():
    """Start a transaction that will write, so what it reads cannot go stale.

    SQLite takes its write lock at BEGIN IMMEDIATE (see app._tune_sqlite); PostgreSQL
    needs nothing here, the callers lock rows with SELECT ... FOR UPDATE. Whatever the
    current transaction holds is committed first.
    """
    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


def insert_ignoring_conflicts(model, rows, conflict_columns):
    """INSERT rows, silently skipping those that would break a unique constraint."""
    if not rows:
        return
    insert = postgresql.insert if dialect_name() == "postgresql" else sqlite.insert
    statement = insert(model.__table__).values(rows).on_conflict_do_nothing(
        index_elements=conflict_columns)
    db.session.execute(statement)
