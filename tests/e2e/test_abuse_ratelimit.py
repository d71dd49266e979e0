"""Two real ``p2p-scheduler serve`` processes sharing one rate limit through Redis (issue 16
finding 8; SPEC §9 "Abuse limits": the limit is shared by all processes of a deployment).

Before, each process counted alone, so two processes let a key through twice its limit and
a guesser's failed keys were never counted at all. Here four clients hammer both processes
at once; across both, a key gets exactly its limit of answers, and an address its budget of
failures, once.

Redis: ``P2P_TEST_REDIS_URL`` (else redis://127.0.0.1:6379/15), each test under a key prefix
of its own (``redis_url`` in tests/conftest.py): skipped loudly when unreachable, failed when
the variable is set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import Server, cli_env, start_server, stop
from tests.support import ADMIN_KEY, PORTAL_KEY, TEST_API_KEYS, auth

LIMIT = 20
FAILURES = 10
CLIENTS = 4
REQUESTS_PER_CLIENT = 20  # 80 in all: four times the limit
ELIGIBILITY = {"cases": [{"case_number": "R1", "member_dob": "1970-01-01"}]}


@pytest.fixture
def servers(tmp_path: Path, redis_url: tuple[str, str]) -> Iterator[list[Server]]:
    """Two serving processes on one SQLite file and one Redis, started one after the other
    (each migrates the database at start)."""
    url, prefix = redis_url
    env = cli_env(
        P2P_DATABASE_URL=f"sqlite:///{tmp_path / 'e2e.db'}",
        P2P_API_KEYS=TEST_API_KEYS,
        P2P_SECRET_KEY="e2e-secret-key-0123456789",
        P2P_RATE_LIMIT_PER_MINUTE=str(LIMIT),
        P2P_AUTH_FAILURES_PER_MINUTE=str(FAILURES),
        P2P_RATE_LIMIT_STORAGE_URL=url,
        P2P_RATE_LIMIT_KEY_PREFIX=prefix,
    )
    started: list[Server] = []
    try:
        for name in ("one", "two"):
            workdir = tmp_path / name
            workdir.mkdir()
            started.append(start_server(workdir, env))
        yield started
    finally:
        for server in started:
            stop(server.process)
            print(f"--- {server.workdir.name} ({server.log}) ---\n{server.output()}")


def _hammer(servers: list[Server], headers: dict[str, str]) -> Counter[int]:
    """``CLIENTS`` threads, each alternating between the two processes; the statuses."""

    def one_client(number: int) -> list[int]:
        statuses = []
        with httpx.Client(timeout=10) as http:
            for n in range(REQUESTS_PER_CLIENT):
                server = servers[(number + n) % 2]
                answer = http.post(
                    f"{server.base_url}/v1/eligibility", json=ELIGIBILITY, headers=headers
                )
                statuses.append(answer.status_code)
        return statuses

    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(status for found in pool.map(one_client, range(CLIENTS)) for status in found)


def test_two_processes_allow_a_key_its_limit_once_not_twice(servers: list[Server]) -> None:
    statuses = _hammer(servers, auth(PORTAL_KEY))
    assert statuses[200] == LIMIT, statuses  # not 2 × LIMIT: both processes count in Redis
    assert statuses[429] == CLIENTS * REQUESTS_PER_CLIENT - LIMIT, statuses
    refused = httpx.post(
        f"{servers[1].base_url}/v1/eligibility", json=ELIGIBILITY, headers=auth(PORTAL_KEY)
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "more than 20 requests in a minute" in refused.json()["detail"]
    # another key has a budget of its own
    other = httpx.post(
        f"{servers[0].base_url}/v1/eligibility", json=ELIGIBILITY, headers=auth(ADMIN_KEY)
    )
    assert other.status_code == 200, other.text


def test_two_processes_stop_a_key_guesser_after_one_shared_budget(servers: list[Server]) -> None:
    statuses = _hammer(servers, auth("a-guessed-key-0000"))
    assert statuses[401] == FAILURES, statuses  # not 2 × FAILURES
    assert statuses[429] == CLIENTS * REQUESTS_PER_CLIENT - FAILURES, statuses
    # the guesser's address is blocked on both processes, whatever key it sends ...
    for server in servers:
        blocked = httpx.post(
            f"{server.base_url}/v1/eligibility", json=ELIGIBILITY, headers=auth(PORTAL_KEY)
        )
        assert blocked.status_code == 429, blocked.text
        assert "failed sign-ins" in blocked.json()["detail"]
    # ... while a client at another address goes on. uvicorn takes X-Forwarded-For from
    # 127.0.0.1 only (its FORWARDED_ALLOW_IPS default): here, a proxy on this machine.
    elsewhere = {**auth(PORTAL_KEY), "X-Forwarded-For": "198.51.100.7"}
    answered = httpx.post(
        f"{servers[1].base_url}/v1/eligibility", json=ELIGIBILITY, headers=elsewhere
    )
    assert answered.status_code == 200, answered.text
