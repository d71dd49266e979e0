"""End to end: ``p2p-scheduler bench load`` through the console script, with tiny parameters.

As for the other benchmarks, only the JSON's shape, that the portal mix really ran, the
absence of server errors and the safety property (no double bookings) are checked; timings
depend on the machine and are never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.server import cli_env, run_cli

#: One benchmark at a time (tests/e2e/conftest.py): the test counts the server-wide
#: ``p2p_bench_*`` databases, which another benchmark running at once would change.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("one_bench_at_a_time")]

OPERATIONS = {"eligibility", "availability", "hold", "book", "reschedule", "cancel"}
#: What a portal may legitimately be told under contention (409 slot-taken and friends).
EXPECTED_STATUSES = {"200", "201", "409"}


def _bench_databases(server_url: str) -> int:
    engine = create_engine(server_url)
    try:
        with engine.connect() as connection:
            query = text("SELECT count(*) FROM pg_database WHERE datname LIKE 'p2p_bench_%'")
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_bench_load_runs_the_portal_mix_without_errors_or_double_bookings(
    tmp_path: Path, postgres_server_url: str
) -> None:
    before = _bench_databases(postgres_server_url)
    result = run_cli(
        "bench",
        "load",
        "--clients",
        "2",
        "--seconds",
        "3",
        "--seed",
        "7",
        "--database-url",
        postgres_server_url,
        env=cli_env(),
        cwd=tmp_path,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)  # one JSON object, nothing else
    assert out["benchmark"] == "load"
    assert out["database"] == "postgresql"
    assert (out["clients"], out["seconds"], out["server_workers"], out["seed"]) == (2, 3.0, 1, 7)
    assert {"cpus", "python", "platform"} <= set(out["machine"])

    throughput = out["throughput"]
    assert throughput["operations_per_second"] > 0
    assert set(throughput["by_operation"]) == OPERATIONS
    for per_operation in ("latency_ms", "status_counts", "errors_by_status", "problem_types"):
        assert set(out[per_operation]) == OPERATIONS, per_operation
    for operation, figures in out["latency_ms"].items():
        assert {"p50", "p95", "p99", "count"} <= set(figures), operation

    # The whole cycle ran: looked up, searched, booked, and both ways of ending.
    counts = out["status_counts"]
    assert counts["eligibility"].get("200", 0) > 0
    assert counts["availability"].get("200", 0) > 0
    assert counts["book"].get("201", 0) > 0
    assert counts["reschedule"].get("200", 0) + counts["cancel"].get("200", 0) > 0
    assert out["requests"] == sum(n for by_status in counts.values() for n in by_status.values())
    for operation, by_status in counts.items():
        assert set(by_status) <= EXPECTED_STATUSES, (operation, by_status)
        assert not any(status.startswith("5") for status in out["errors_by_status"][operation])

    assert out["server_errors"] == 0
    assert out["double_bookings"] == 0
    assert out["bookings_in_database"] == out["bookings_expected"]
    assert out["outbox_lag"]["pending"] > 0  # every booking wrote its emails
    assert out["ran_dry"] is False
    assert _bench_databases(postgres_server_url) == before, "the run's database must be dropped"


def test_bench_load_refuses_sqlite(tmp_path: Path) -> None:
    result = run_cli(
        "bench",
        "load",
        "--seconds",
        "1",
        "--database-url",
        f"sqlite:///{tmp_path / 'load.db'}",
        env=cli_env(),
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert "PostgreSQL only" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
