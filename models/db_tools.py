"""Small database helpers that behave the same on SQLite and PostgreSQL."""
import random
import sqlite3
import time
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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


# How long a writer waits for SQLite's write lock before "database is locked" (the
# connection's busy_timeout, app._tune_sqlite, says the same for other statements).
SQLITE_LOCK_WAIT_SECONDS = 30
# Between two tries: a few hundred microseconds, doubling up to 2 ms, with jitter.
# SQLite's own busy handler sleeps 1, 2, 5, 10 … then 100 ms between tries: a writer
# that holds the lock for 2 ms has long finished while four others still sleep, and
# throughput fell as workers were added.
FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.002


def begin_immediate(dbapi_connection):
    """BEGIN IMMEDIATE on a raw sqlite3 connection, retrying at once while another
    writer holds the lock instead of sleeping in SQLite's busy handler."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        give_up = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
        pause = FIRST_PAUSE
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > give_up:
                    raise
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, LONGEST_PAUSE)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_SECONDS * 1000}")


def takes_write_lock_itself(view):
    """Marks a view that changes something but reads first and calls begin_write()
    itself around its writes: SQLite's write lock is not taken for its whole request
    (app._tune_sqlite), and on PostgreSQL its transactions stay short."""
    view.takes_write_lock_itself = True
    return view


def as_loaded(model, values):
    """The instance of `model` for a row's values (a mapping of every column, e.g. a
    Core statement's row._mapping), in the session as a query would have left it: the
    session's own if it has one, refreshed (populate_existing). For the statements every
    request or tap sends: the ORM's statement path costs about three times a Core
    statement and this together."""
    present = _in_session(model, values["id"])
    if present is not None:
        for name, value in values.items():
            set_committed_value(present, name, value)
        return present
    # Filled as a query fills it (no __init__, no attribute events), then made the
    # detached copy of its row: its values count as loaded, not as changes.
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def by_id(model, row_id):
    """What session.get(model, row_id) gives, for a third of its cost (bench/serial.py):
    the session's own instance if it has one, else the row read in Core and loaded."""
    present = _in_session(model, row_id)
    if present is not None:
        return present
    found = db.session.execute(_by_id_query(model), {"row_id": row_id}).first()
    return as_loaded(model, found._mapping) if found is not None else None


def _in_session(model, row_id):
    """The session's own instance of that row, or None (no statement)."""
    key = model.__mapper__.identity_key_from_primary_key((row_id,))
    return db.session.identity_map.get(key)


@cache
def _by_id_query(model):
    table = model.__table__
    return select(table).where(table.c.id == bindparam("row_id"))


def end_reads():
    """Close the read transaction before Python work (rendering a page): loaded objects
    keep their values (expire_on_commit is off), and on PostgreSQL the connection goes
    back to the pool instead of sitting « idle in transaction » holding a snapshot."""
    db.session.commit()


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


class FamiliesProgress:
    """A background run over many families (invoicing, a message to many): its
    `status`, `families_done` and `families_total` as the page polling it shows them."""

    @property
    def finished(self):
        return self.status in ("done", "failed")

    @property
    def percent(self):
        if self.status == "done":
            return 100
        if not self.families_total:
            return 0
        return min(100, self.families_done * 100 // self.families_total)
