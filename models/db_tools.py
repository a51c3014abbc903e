"""Small database helpers that behave the same on SQLite and PostgreSQL."""
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db


def dialect_name():
    return db.session.get_bind().dialect.name


def begin_write():
    """Start a transaction that will write, so what it reads cannot go stale.

    SQLite takes its write lock at BEGIN IMMEDIATE (see app._tune_sqlite), waiting for
    another writer up to busy_timeout; PostgreSQL needs nothing here, the callers lock
    rows with SELECT ... FOR UPDATE. Whatever the current transaction holds is
    committed first. Jobs call it, and so does any GET that writes: a read transaction
    that starts writing fails at once on SQLite if another connection wrote since it
    began reading (busy_timeout cannot help it).
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


def rebuild_schema(name_must_contain):
    """Wipe the database and build it again with the migrations, as production does (for
    the tests and the benchmarks). A PostgreSQL database is wiped only if its name
    contains one of `name_must_contain`."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, text

    engine = db.engine
    if engine.dialect.name == "postgresql":
        name = engine.url.database or ""
        if not any(word in name for word in name_must_contain):
            raise RuntimeError(f"refusing to wipe database {name!r}: its name lacks "
                               f"{' or '.join(name_must_contain)}")
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        existing = MetaData()
        existing.reflect(engine)
        existing.drop_all(engine)
    upgrade()
