"""End to end: ``p2p-scheduler bench …`` through the console script, with tiny parameters.

Only the shape of the JSON, the safety property (no double bookings) and the clean-up are
checked; timings depend on the machine and are never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.server import cli_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("one_bench_at_a_time")]

MACHINE_KEYS = {"cpus", "python", "platform"}


def _bench(cwd: Path, *args: str) -> dict[str, Any]:
    result = run_cli("bench", *args, env=cli_env(), cwd=cwd, timeout=600)
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)  # one JSON object, nothing else
    return output


def _assert_booking_result(out: dict[str, Any], clients: int) -> None:
    assert out["benchmark"] == "booking"
    assert out["clients"] == clients
    assert {"seconds", "bookings_per_second", "elapsed_seconds", "requests"} <= set(out)
    assert {"p50", "p95"} <= set(out["latency_ms"])
    assert out["status_counts"].get("201", 0) > 0
    assert set(out["status_counts"]) <= {"201", "409"}, out["status_counts"]
    assert out["double_bookings"] == 0
    assert out["bookings_in_database"] == out["status_counts"]["201"]
    assert set(out["machine"]) >= MACHINE_KEYS


def test_bench_availability_prints_the_figures_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = _bench(tmp_path, "availability", "--repeat", "5")

    assert out["benchmark"] == "availability"
    assert out["database"].startswith("sqlite")
    assert (out["reviewers"], out["qualified"]) == (500, 50)
    assert out["busy_fraction"] == pytest.approx(0.3, abs=0.01)
    assert out["result"]["slots"] > 0
    for key in ("in_process_ms", "pure_ms"):
        assert {"p50", "p95", "max"} <= set(out[key])
    http = out["http_ms"]
    assert {"p50", "p95"} <= set(http["availability"])
    assert {"p50", "p95"} <= set(http["health"])
    assert "p95_ratio" in http
    assert set(out["machine"]) >= MACHINE_KEYS
    assert list(tmp_path.iterdir()) == [], "the temporary database must be gone"


def test_bench_feed_serves_every_booking_and_revalidates_with_304(tmp_path: Path) -> None:
    """The feed lists every consultation written (the bench refuses to time a feed that does
    not) and a revalidation with its ETag is a 304 (the bench refuses anything else)."""
    out = _bench(tmp_path, "feed", "--bookings", "40", "--repeat", "3")

    assert out["benchmark"] == "feed"
    assert out["database"].startswith("sqlite")
    assert out["bookings"] == 40
    assert out["feed_bytes"] > 40 * 200
    assert out["first_download_ms"] > 0
    assert set(out["http_ms"]) == {"full", "not_modified", "health"}
    for figures in out["http_ms"].values():
        assert {"p50", "p95", "max"} <= set(figures)
    assert list(tmp_path.iterdir()) == [], "the temporary database must be gone"


def test_bench_booking_never_double_books_and_removes_its_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "bench.db"
    out = _bench(tmp_path, "booking", "--seconds", "2", "--database-url", f"sqlite:///{database}")

    _assert_booking_result(out, clients=8)
    assert out["database"].startswith("sqlite")
    assert not database.exists()


def test_bench_refuses_an_existing_sqlite_file(tmp_path: Path) -> None:
    existing = tmp_path / "precious.db"
    existing.write_bytes(b"not to be touched")

    result = run_cli(
        "bench",
        "booking",
        "--seconds",
        "1",
        "--database-url",
        f"sqlite:///{existing}",
        env=cli_env(),
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert "exists" in result.stderr and "Traceback" not in result.stderr
    assert existing.read_bytes() == b"not to be touched"


@pytest.mark.postgres
def test_bench_booking_on_postgresql_uses_and_drops_its_own_database(
    tmp_path: Path, postgres_server_url: str
) -> None:
    def bench_databases() -> int:
        engine = create_engine(postgres_server_url)
        try:
            with engine.connect() as connection:
                query = text("SELECT count(*) FROM pg_database WHERE datname LIKE 'p2p_bench_%'")
                return int(connection.execute(query).scalar_one())
        finally:
            engine.dispose()

    before = bench_databases()
    out = _bench(
        tmp_path,
        "booking",
        "--seconds",
        "2",
        "--clients",
        "4",
        "--database-url",
        postgres_server_url,
    )

    _assert_booking_result(out, clients=4)
    assert out["database"].startswith("postgresql")
    assert bench_databases() == before, "the run's own database must be dropped"


def _assert_auth_result(out: dict[str, Any], repeat: int) -> None:
    assert out["benchmark"] == "auth"
    assert (out["request"], out["repeat"], out["verify_repeat"]) == (
        "GET /v1/bookings/{id}",
        repeat,
        repeat,
    )
    assert set(out["http_ms"]) == {"api_key", "rs256", "es256"}
    for figures in out["http_ms"].values():
        assert {"p50", "p95", "max"} <= set(figures)
        assert figures["p50"] > 0
    assert set(out["token_cost_ms"]) == {"rs256", "es256"}
    for algorithm, cost in out["token_cost_ms"].items():
        assert set(cost) == {"p50", "p95"}
        for name in ("p50", "p95"):
            expected = out["http_ms"][algorithm][name] - out["http_ms"]["api_key"][name]
            assert cost[name] == pytest.approx(expected, abs=0.002)
    assert set(out["verify_us"]) == {"rs256", "es256"}
    for figures in out["verify_us"].values():
        assert {"p50", "p95", "max"} <= set(figures)
        assert figures["p50"] > 0
    # the server fetched the issuer's keys once and verified every other token from its cache
    assert out["jwks_fetches"] == 1
    assert out["target_p95_ms"] == 1.0
    assert isinstance(out["within_target"], bool)
    assert set(out["machine"]) >= MACHINE_KEYS


def test_bench_auth_times_a_key_and_both_token_algorithms(tmp_path: Path) -> None:
    out = _bench(tmp_path, "auth", "--repeat", "20", "--verify-repeat", "20")

    _assert_auth_result(out, repeat=20)
    assert out["database"].startswith("sqlite")
    assert list(tmp_path.iterdir()) == [], "the temporary database must be gone"


@pytest.mark.postgres
def test_bench_auth_on_postgresql(tmp_path: Path, postgres_server_url: str) -> None:
    out = _bench(
        tmp_path,
        "auth",
        "--repeat",
        "20",
        "--verify-repeat",
        "20",
        "--database-url",
        postgres_server_url,
    )

    _assert_auth_result(out, repeat=20)
    assert out["database"].startswith("postgresql")


def test_bench_optimizer_small_is_optimal_validated_and_not_behind_greedy(tmp_path: Path) -> None:
    out = _bench(tmp_path, "optimizer", "--size", "S", "--seed", "1")

    assert out["benchmark"] == "optimizer"
    assert (out["size"], out["seed"], out["requests"], out["reviewers"]) == ("S", 1, 100, 20)
    assert out["validated"] is True
    assert out["status"] == "optimal"
    assert out["gap_pct"] == 0.0
    scheduled = out["scheduled"]
    assert scheduled["cp_sat"] >= max(scheduled["greedy_edf"], scheduled["greedy_fcfs"])
    assert scheduled["cp_sat"] > scheduled["greedy_fcfs"]  # the generator makes FCFS lose some
    assert out["objective"]["cp_sat"] == out["objective"]["bound"]
    assert {"build_seconds", "solve_seconds", "candidates", "peak_rss_mb"} <= set(out)
    assert set(out["machine"]) >= MACHINE_KEYS


def test_bench_optimizer_refuses_an_unknown_size(tmp_path: Path) -> None:
    result = run_cli("bench", "optimizer", "--size", "XL", env=cli_env(), cwd=tmp_path)
    assert result.returncode != 0
    assert "--size must be one of S, M, L" in result.stderr


def test_bench_report_times_every_grouping_over_the_year(tmp_path: Path) -> None:
    """A tiny year (300 bookings): every booking lands in the year's report, in every
    grouping, and the temporary database is gone afterwards."""
    out = _bench(tmp_path, "report", "--bookings", "300", "--repeat", "2")

    assert out["benchmark"] == "report"
    assert out["database"].startswith("sqlite")
    assert (out["reviewers"], out["bookings"]) == (200, 300)
    timings = out["year"]["by_group_by"]
    assert set(timings) == {
        "none",
        "state",
        "line_of_business",
        "level_of_review",
        "reviewer",
        "skill",
    }
    for name, timing in timings.items():
        assert timing["bookings"] == 300, name
        assert {"p50", "p95", "max"} <= set(timing["ms"])
        assert {"p50", "p95", "max"} <= set(timing["client_cpu_ms"])
    assert timings["none"]["groups"] == 1
    assert timings["line_of_business"]["groups"] == 3
    assert 0 < out["month_by_state"]["bookings"] < 300
    assert isinstance(out["within_target"], bool)
    assert set(out["machine"]) >= MACHINE_KEYS
    assert list(tmp_path.iterdir()) == [], "the temporary database must be gone"
