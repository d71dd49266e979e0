"""Engines and sessions for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import SQLAlchemyError as DatabaseError
from sqlmodel import Session


class WriteConflict(Exception):
    """A uniqueness rule refused the transaction's writes, at a statement the store did not
    expect or at COMMIT: another transaction got there first. Use cases map it to their 409.
    Other integrity errors (CHECK, NOT NULL, foreign keys) are bugs and stay what they are."""


#: PostgreSQL's unique_violation and exclusion_violation
_CONFLICT_STATES = frozenset({"23505", "23P01"})


def _is_conflict(error: IntegrityError) -> bool:
    state = getattr(error.orig, "sqlstate", None)
    if state is not None:
        return state in _CONFLICT_STATES
    return str(error.orig).startswith("UNIQUE constraint failed")  # SQLite


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout on every connection.

    Statement parameters are hidden from every database error (SPEC §9 "Errors never echo
    data"): a failed statement's message keeps its SQL but not the request's values."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            # Take the write lock up front: a deferred transaction that read before another
            # committed cannot upgrade to a writer in WAL mode and would fail with "database
            # is locked". Immediate transactions queue on the busy timeout instead.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (nothing half-written)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except IntegrityError as error:
            session.rollback()
            if _is_conflict(error):
                raise WriteConflict("another transaction wrote the same key first") from error
            raise
        except BaseException:
            session.rollback()
            raise


__all__ = [
    "DatabaseError",
    "Engine",
    "Session",
    "WriteConflict",
    "make_engine",
    "transaction",
]
