"""``p2p-scheduler bench auth``: what verifying an OpenID Connect access token adds to a
request (SPEC §10; the issue's target: at most 1 ms at the 95th percentile).

One authenticated read, ``GET /v1/bookings/{id}``, against the real server, sent
``--repeat`` times with each of three credentials: an API key, an RS256 token and an ES256
token. The difference between a token's percentiles and the key's is what the token costs a
request. Beside it, ``TokenVerifier.verify`` alone in this process (µs): the CPU work a
request with a token does that a request with a key does not.

Choices, and why:

- **Over HTTP against ``p2p-scheduler serve``** (one process, on loopback), as ``bench feed``
  and ``bench availability`` do: tools never import the ``api`` package (import-linter's
  layers), and the served app is what callers meet. Loopback adds the same HTTP cost to
  every request, so it drops out of the difference.
- **Interleaved** (key, RS256, ES256, key, …), so whatever else the machine does at a moment
  falls on the three alike and cannot masquerade as a token's cost.
- **A local issuer made for the run**: an RSA 2048 key and an EC P-256 key generated here,
  its discovery document and JWKS served over HTTP by a thread. The server is configured
  with ``P2P_OIDC_ISSUER`` only and discovers and fetches the keys as it would a real
  issuer's; ``jwks_fetches`` reports how often it did (once: later requests use the cached
  keys, which is the steady state being timed).
- **Provider tokens** of one practice, reading a booking of that practice: the browser caller
  tokens exist for, scope and all (the scope adds a condition to the primary-key look-up).
  The key is a portal key reading the same booking. One token per algorithm, sent with every
  request as a browser sends its access token; the service caches no verification, so every
  request pays the signature check.
- **Warm timings**, ``time.perf_counter``, percentiles as in the other benchmarks
  (``bench.percentiles``); the client shares the machine with the server (``machine``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from p2p_scheduler.db.engine import DatabaseError
from p2p_scheduler.domain.clock import system_clock
from p2p_scheduler.identity import KeySet, TokenVerifier
from p2p_scheduler.services import records
from p2p_scheduler.tools.bench import (
    BENCH_SKILL,
    BENCH_STATE,
    REQUEST_TIMEOUT,
    REQUESTER_ZONE,
    WORKDAYS,
    BenchError,
    DatabaseUrl,
    PlannedBooking,
    _emit,
    _fail,
    _portal_key,
    _progress,
    _reviewer,
    _weekly,
    database_label,
    fresh_engine,
    insert_bookings,
    machine,
    next_monday,
    percentiles,
    running_server,
    scratch_database,
    working_quarters,
)
from p2p_scheduler.tools.local_issuer import LocalIssuer, ec_key, rsa_key

AUDIENCE = "p2p-scheduler-bench"
PRACTICE = "bench-practice"
#: the issue's target for what verifying a token may add to a request, at the 95th percentile
TARGET_P95_MS = 1.0
#: bookings of the practice (the one read is among them)
BOOKINGS = 20
WARMUP_REQUESTS = 50
WARMUP_VERIFICATIONS = 200
TOKEN_LIFETIME_SECONDS = 3600
CREDENTIALS = ("api_key", "rs256", "es256")
#: the issuer's key ids, by the algorithm each key signs with
KIDS = {"rs256": "bench-rsa", "es256": "bench-ec"}


def local_issuer() -> LocalIssuer:
    """An issuer for one run: an RSA and an EC signing key, keys made for the run."""
    return LocalIssuer({KIDS["rs256"]: rsa_key(), KIDS["es256"]: ec_key()}, audience=AUDIENCE)


def provider_claims() -> dict[str, Any]:
    return {
        "sub": "frontdesk@bench-practice.example.org",
        "p2p_role": "provider",
        "provider_org": PRACTICE,
    }


def bench_auth(
    database_url: DatabaseUrl = None,
    repeat: Annotated[
        int, typer.Option(metavar="N", min=20, help="Timed requests with each credential.")
    ] = 2000,
    verify_repeat: Annotated[
        int,
        typer.Option(metavar="N", min=20, help="Timed TokenVerifier.verify calls per algorithm."),
    ] = 5000,
) -> None:
    """Time what verifying an access token adds to a request: one GET with an API key, an
    RS256 and an ES256 token over HTTP, and TokenVerifier.verify alone."""
    try:
        _emit(_run_auth(database_url, repeat, verify_repeat))
    except BenchError as error:
        _fail(str(error))
    except DatabaseError as error:
        _fail(f"database error: {str(getattr(error, 'orig', None) or error).splitlines()[0]}")


def _difference(token: dict[str, float], key: dict[str, float]) -> dict[str, float]:
    return {name: round(token[name] - key[name], 3) for name in ("p50", "p95")}


def _verify_timings(issuer: LocalIssuer, tokens: dict[str, str], repeat: int) -> dict[str, Any]:
    """``TokenVerifier.verify`` per algorithm in µs, with the issuer's keys already cached (a
    fixed key set: what the server holds after its one JWKS fetch)."""
    verifier = TokenVerifier(
        audience=AUDIENCE, key_sets={issuer.url: KeySet.fixed(issuer.url, issuer.jwks())}
    )
    found: dict[str, Any] = {}
    for algorithm, token in tokens.items():
        identity = verifier.verify(token)
        if identity.provider_org != PRACTICE:
            raise BenchError(f"the {algorithm} token verified as {identity!r}")
        for _ in range(WARMUP_VERIFICATIONS):
            verifier.verify(token)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            verifier.verify(token)
            samples.append((time.perf_counter() - started) * 1_000_000)
        found[algorithm] = percentiles(samples)
    return found


def _run_auth(database_url: str | None, repeat: int, verify_repeat: int) -> dict[str, object]:
    now = system_clock()
    profile = _reviewer(
        1,
        zone=REQUESTER_ZONE,
        skills={BENCH_SKILL: 1},
        states={BENCH_STATE},
        working_hours=_weekly(WORKDAYS, "08:00", "18:00"),
        max_consults_per_day=48,
    )
    monday = next_monday(now, REQUESTER_ZONE)
    quarters = [q for block in working_quarters(profile, [monday]) for q in block]
    planned = [PlannedBooking(profile.reviewer_id, start, 1) for start in quarters[:BOOKINGS]]
    keys, key = _portal_key()
    with scratch_database(database_url) as url, local_issuer() as issuer:
        with fresh_engine(url) as engine:
            label = database_label(engine)
            _progress(f"{label}: {len(planned)} bookings of one practice …")
            records.load_if_empty(engine=engine, reviewers=[profile], cases=[])
            insert_bookings(
                engine,
                planned,
                profiles={profile.reviewer_id: profile},
                now=now,
                provider_org=PRACTICE,
            )
        tokens = {
            algorithm: issuer.mint(
                provider_claims(), kid=KIDS[algorithm], lifetime=TOKEN_LIFETIME_SECONDS
            )
            for algorithm in ("rs256", "es256")
        }
        settings = {"P2P_OIDC_ISSUER": issuer.url, "P2P_OIDC_AUDIENCE": AUDIENCE}
        with (
            running_server(url, keys, settings=settings) as base,
            httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as http,
        ):
            headers = {
                "api_key": {"Authorization": f"Bearer {key}"},
                **{name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()},
            }
            listed = http.get("/v1/bookings", params={"limit": 1}, headers=headers["api_key"])
            if listed.status_code != 200 or not listed.json()["items"]:
                raise BenchError(
                    f"GET /v1/bookings answered {listed.status_code}: {listed.text[:300]}"
                )
            path = f"/v1/bookings/{listed.json()['items'][0]['id']}"

            def read(credential: str) -> Callable[[], None]:
                def call() -> None:
                    response = http.get(path, headers=headers[credential])
                    if response.status_code != 200:
                        raise BenchError(
                            f"GET /v1/bookings/{{id}} with the {credential} answered "
                            f"{response.status_code}: {response.text[:300]}"
                        )

                return call

            calls = {credential: read(credential) for credential in CREDENTIALS}
            _progress(f"{repeat} requests with each of {', '.join(CREDENTIALS)} …")
            for _ in range(WARMUP_REQUESTS):
                for call in calls.values():
                    call()
            timings: dict[str, list[float]] = {credential: [] for credential in CREDENTIALS}
            for _ in range(repeat):
                for credential, call in calls.items():
                    started = time.perf_counter()
                    call()
                    timings[credential].append((time.perf_counter() - started) * 1000)
        http_ms = {credential: percentiles(samples) for credential, samples in timings.items()}
        _progress(f"{verify_repeat} verifications per algorithm …")
        verify_us = _verify_timings(issuer, tokens, verify_repeat)
        fetches = issuer.fetches
    token_cost = {name: _difference(http_ms[name], http_ms["api_key"]) for name in tokens}
    return {
        "benchmark": "auth",
        "database": label,
        "request": "GET /v1/bookings/{id}",
        "repeat": repeat,
        "http_ms": http_ms,
        "token_cost_ms": token_cost,
        "verify_repeat": verify_repeat,
        "verify_us": verify_us,
        "jwks_fetches": fetches,
        "target_p95_ms": TARGET_P95_MS,
        "within_target": all(cost["p95"] <= TARGET_P95_MS for cost in token_cost.values()),
        "machine": machine(),
    }
