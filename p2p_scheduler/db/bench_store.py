"""The database side of the benchmarks: scratch databases, bulk fixtures, invariant checks.

Bulk fixtures go in as Core multi-row inserts in one transaction, parents before children:
tens of thousands of rows in about a second instead of a quarter of a minute of ORM
objects, and column defaults still fill what is left out.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, and_, create_engine, func, insert, make_url, select, text
from sqlalchemy.orm import aliased

from p2p_scheduler.db.tables import (
    BookingCaseRow,
    BookingEventRow,
    BookingRow,
    CaseRow,
    SlotCellRow,
)
from p2p_scheduler.domain.enums import BookingStatus
from p2p_scheduler.domain.model import CaseSnapshot

Rows = Sequence[dict[str, Any]]


def url_backend(url: str) -> tuple[str, str | None]:
    """(backend name, database) of a database URL."""
    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.database


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A new database ``p2p_bench_<random>`` on the server of ``url`` (its URL), dropped
    afterwards with ``WITH (FORCE)``."""
    parsed = make_url(url)
    name = f"p2p_bench_{secrets.token_hex(6)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def database_label(engine: Engine) -> str:
    """``"sqlite 3.45.1"`` or ``"postgresql 15.20"``: what ran, never where or as whom."""
    with engine.connect():
        pass  # PostgreSQL reports its version on the first connection
    if engine.dialect.name == "sqlite":
        return f"sqlite {sqlite3.sqlite_version}"
    version = engine.dialect.server_version_info or ()
    return f"{engine.dialect.name} {'.'.join(str(part) for part in version)}".strip()


def case_row(case: CaseSnapshot) -> dict[str, object]:
    """The ``cases`` row of a synthetic snapshot (instants are already UTC-aware)."""
    return {
        "case_number": case.case_number,
        "member_name": case.member.name,
        "member_dob": case.member.dob,
        "member_state": case.member.state,
        "member_id": case.member.member_id,
        "health_plan": case.member.health_plan,
        "line_of_business": case.line_of_business.value,
        "case_type": case.case_type,
        "skill": case.skill,
        "status": case.status.value,
        "received_at": case.received_at,
        "hold_due_at": case.hold_due_at,
    }


def bulk_insert(
    engine: Engine,
    *,
    cases: Rows = (),
    bookings: Rows = (),
    booking_cases: Rows = (),
    cells: Rows = (),
    events: Rows = (),
) -> None:
    """Rows (column → value) for each table, in one transaction."""
    batches = [
        (CaseRow, cases),
        (BookingRow, bookings),
        (BookingCaseRow, booking_cases),
        (SlotCellRow, cells),
        (BookingEventRow, events),
    ]
    with engine.begin() as connection:
        for table, rows in batches:
            if rows:
                connection.execute(insert(table), list(rows))


def count_double_bookings(engine: Engine) -> int:
    """Pairs of scheduled bookings of one reviewer whose times overlap (must be 0).

    Checked on the bookings themselves, not on the cells that are meant to prevent overlaps,
    so the check does not trust the mechanism it checks.
    """
    a, b = aliased(BookingRow), aliased(BookingRow)
    query = (
        select(func.count())
        .select_from(a)
        .join(
            b,
            and_(
                a.reviewer_id == b.reviewer_id,
                a.id < b.id,
                a.start_at < b.end_at,  # type: ignore[operator]
                b.start_at < a.end_at,  # type: ignore[operator]
            ),
        )
        .where(a.status == BookingStatus.SCHEDULED, b.status == BookingStatus.SCHEDULED)
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def count_scheduled(engine: Engine) -> int:
    query = (
        select(func.count())
        .select_from(BookingRow)
        .where(BookingRow.status == BookingStatus.SCHEDULED)
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL's autovacuum would do
    it a little later on a live database; SQLite only ever does it when asked)."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
