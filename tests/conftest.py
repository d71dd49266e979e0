"""Shared fixtures: real databases (SQLite file, PostgreSQL), the app, an httpx client.

PostgreSQL tests read ``P2P_TEST_POSTGRES_URL``. Without it they skip, and the run's summary
says so in capitals; with it set but unreachable they fail — CI sets it, so CI never
silently skips PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlmodel import SQLModel

from api.app import create_app
from p2p_scheduler.config import Settings
from p2p_scheduler.db import migrate
from p2p_scheduler.db.engine import make_engine
from p2p_scheduler.domain.clock import fixed_clock
from tests.support import (
    NOW,
    POSTGRES_ENV,
    REDIS_DEFAULT_URL,
    REDIS_ENV,
    settings_for_tests,
)
from tests.tokens import issuer, token_client, token_settings  # noqa: F401  (fixtures)

_skipped_postgres: list[str] = []
_skipped_redis: list[str] = []

TESTS = Path(__file__).parent
#: the folders whose tests are ``slow``: real server subprocesses and benchmarks (e2e), a real
#: browser (browser) and Schemathesis against a live server (fuzz); ``-m "not slow"`` skips them
SLOW_FOLDERS = frozenset({"e2e", "browser", "fuzz"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            item.path.is_relative_to(TESTS)
            and item.path.relative_to(TESTS).parts[0] in SLOW_FOLDERS
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped afterwards)."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        _skipped_postgres.append("x")
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests are SKIPPED")
    url = make_url(base)
    name = f"p2p_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # unreachable server must fail the run, not skip it
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {error}", pytrace=False)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[tuple[str, str]]:
    """A Redis for the shared rate limit, and a key prefix of this test's own: ``(url,
    prefix)``. ``P2P_TEST_REDIS_URL`` (else redis://127.0.0.1:6379/15); unreachable, the
    test skips loudly, or fails when the variable is set (CI sets it). Only the keys under
    the prefix are deleted afterwards, so tests running side by side, and whatever else
    uses that Redis, are left alone."""
    import redis

    url = os.environ.get(REDIS_ENV) or REDIS_DEFAULT_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        if os.environ.get(REDIS_ENV):
            pytest.fail(f"{REDIS_ENV} is set but Redis is unreachable: {error}", pytrace=False)
        _skipped_redis.append("x")
        pytest.skip(f"Redis is unreachable at {url} ({error}): Redis tests are SKIPPED")
    prefix = f"p2p-test-{uuid.uuid4().hex[:12]}"
    try:
        yield url, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_redis:
        terminalreporter.write_line(
            f"WARNING: REDIS TESTS WERE SKIPPED — start Redis or set {REDIS_ENV} "
            f"(default {REDIS_DEFAULT_URL}) to run them.",
            yellow=True,
            bold=True,
        )
    if _skipped_postgres:
        terminalreporter.write_line(
            f"WARNING: POSTGRESQL TESTS WERE SKIPPED — set {POSTGRES_ENV} "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run them.",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head per test process; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "p2p.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of each kind at the head revision: a fresh copy of the migrated SQLite
    template per test; PostgreSQL's session database (emptied by ``engine``)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "p2p.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_server_url")


def _clear(engine: Engine) -> None:
    """Empty every table. The audit trail refuses DELETE by trigger: PostgreSQL's TRUNCATE
    fires no row trigger; a SQLite test database is a fresh file per test anyway."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name != "audit_events":
                connection.execute(table.delete())
            elif engine.dialect.name == "postgresql":
                connection.execute(text("TRUNCATE audit_events"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database with empty tables, on SQLite and on PostgreSQL."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    _clear(engine)
    yield engine
    _clear(engine)
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app's settings for tests (``tests.support.settings_for_tests``)."""
    return settings_for_tests(database_url)


@pytest.fixture
async def client(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """httpx against the real app (real database, fixed clock)."""
    app = create_app(settings, engine=engine, clock=fixed_clock(NOW))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
