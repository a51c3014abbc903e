"""Reference data: what the staff set and nearly every request reads — the town, the
activities, their closures, the booking windows, the billing settings.

Each process keeps the rows it read while the reference stamp in the database stays the
same; any write to these tables (an ORM flush or a statement) gives the stamp a new
random value in the same transaction, so every process reads them again after it
commits. A parent's request reads the stamp with its session (models/user.py): a tap or
the week page then sends no statement for them. Rows are handed out as copies attached
to the request's session (merge without SQL), so they can be edited and saved as usual.
"""
import uuid
from functools import cache
from itertools import chain

from sqlalchemy import String, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from extensions import db

STAMP = "reference_stamp"
TABLES = set()
_kept = {}  # name -> (stamp, detached rows)


class ReferenceStamp(db.Model):
    """One row: changes whenever reference data changes (never read as a counter)."""
    __tablename__ = "reference_stamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))


def reference_data(model):
    """Class decorator: the model's rows are reference data (see the module's doc)."""
    TABLES.add(model.__tablename__)
    return model


def stamp_column():
    """The stamp as a column, for a query a request sends anyway (the session's load)."""
    return _stamp_query().scalar_subquery()


def note_stamp(stamp):
    """The stamp read by the session's load, good for its transaction."""
    db.session.info[STAMP] = stamp


def kept_rows(name, query):
    """The rows of `query`, detached and shared by this process's requests while the
    stamp is unchanged (None: no stamp yet)."""
    session = db.session()
    if session.autoflush:
        session.flush()  # what the query would have done: edits not saved yet count
    stamp = _stamp(session)
    if stamp is None:
        return None
    kept = _kept.get(name)
    if kept is None or kept[0] != stamp:
        # Read in the request's transaction, by a session of its own that lets go of them.
        with Session(bind=session.connection()) as reader:
            rows = reader.scalars(query).all()
            reader.expunge_all()
        kept = _kept[name] = (stamp, rows)
    return kept[1]


def attached(row):
    """This session's instance of a kept row: its own if it has one (maybe edited)."""
    session = db.session()
    return session.identity_map.get(inspect(row).key) or session.merge(row, load=False)


def reference_rows(name, query):
    """The rows of `query`, attached to the session: kept, or read as usual."""
    rows = kept_rows(name, query)
    if rows is None:
        return db.session.scalars(query).all()
    return [attached(row) for row in rows]


@cache
def _stamp_query():
    # Core columns: inside the session's load, an ORM column would make the whole
    # statement go through the ORM's loading (models/user.py).
    table = ReferenceStamp.__table__
    return select(table.c.stamp).where(table.c.id == 1)


def _stamp(session):
    if STAMP not in session.info:
        session.info[STAMP] = session.scalar(_stamp_query())
    return session.info[STAMP]


def _new_stamp(session):
    connection = session.connection()
    stamp = uuid.uuid4().hex
    table = ReferenceStamp.__table__
    if connection.execute(update(table).where(table.c.id == 1)
                          .values(stamp=stamp)).rowcount == 0:
        connection.execute(table.insert().values(id=1, stamp=stamp))
    # Read again in this transaction: the new stamp, so rows are read again with it.
    session.info.pop(STAMP, None)


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    changed = chain(session.new, session.dirty, session.deleted)
    if any(getattr(row, "__tablename__", None) in TABLES for row in changed):
        _new_stamp(session)


@event.listens_for(Session, "do_orm_execute")
def _statement(state):
    if (state.is_insert or state.is_update or state.is_delete) and getattr(
            getattr(state.statement, "table", None), "name", None) in TABLES:
        _new_stamp(state.session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session):
    session.info.pop(STAMP, None)


def forget_kept():
    """Drop what this process keeps (tests that count statements start alike)."""
    _kept.clear()
