"""Abuse over raw sockets against the real server (issue 16, finding 3; SPEC §9 "Abuse limits").

A body over ``P2P_MAX_BODY_BYTES`` is refused with 413 on its declared ``Content-Length``,
before authentication and without reading it, with one access line and no traceback. The
refusal carries ``Connection: close`` and the server then closes the connection cleanly:
the unread body (up to whatever the client declared) must never be read or parsed as the
next request, so the connection cannot be reused — but it ends with a FIN, not a reset.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.server import Server, access_lines, cli_env, start_server, stop

pytestmark = pytest.mark.e2e

LIMIT = 4096
HUGE = 10_000_000_000  # declared, never sent
ATTACKS = 200


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = cli_env(
        P2P_DATABASE_URL=f"sqlite:///{tmp_path / 'abuse.db'}",
        P2P_API_KEYS="admin:abuse-admin-key-0001",
        P2P_SECRET_KEY="abuse-secret-key-0123456789",
        P2P_MAX_BODY_BYTES=str(LIMIT),
    )
    running = start_server(tmp_path, env)
    try:
        yield running
    finally:
        stop(running.process)
        print(f"--- server log ({running.log}) ---\n{running.output()}")  # shown on failure


def _connect(server: Server) -> socket.socket:
    address = urlsplit(server.base_url)
    sock = socket.create_connection((address.hostname, address.port), timeout=10)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body (all this server sends here)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a full response head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        rest += chunk
    return int(status_line.split()[1]), headers, rest[:length]


def _closed_cleanly(sock: socket.socket) -> bool:
    """True when the server's next move is a FIN (``recv`` → ``b""``), not a reset or data."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return False


def _oversized_post(path: str = "/v1/bookings") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: abuse\r\nContent-Type: application/json\r\n"
        f"Content-Length: {HUGE}\r\n\r\n"
    ).encode()


def _wait_for_log_lines(
    server: Server, count: int, status: int | None = None
) -> list[dict[str, object]]:
    """The access lines (of ``status`` only, if given) once there are ``count`` of them."""

    def lines() -> list[dict[str, object]]:
        found = access_lines(server)
        return found if status is None else [line for line in found if line["status"] == status]

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if len(found := lines()) >= count:
            return found
        time.sleep(0.05)
    return lines()


def _assert_too_large(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert json.loads(body)["type"].endswith("/payload-too-large")


def test_a_huge_declared_body_gets_413_one_log_line_and_a_clean_close(server: Server) -> None:
    with _connect(server) as sock:
        # a keep-alive connection that has already served a request
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: abuse\r\n\r\n")
        status, headers, _ = _read_response(sock)
        assert status == 200
        assert headers.get("connection") != "close"
        # headers only: the server must answer without waiting for 10 GB, and without auth
        sock.sendall(_oversized_post())
        _assert_too_large(*_read_response(sock))
        assert _closed_cleanly(sock)

    lines = _wait_for_log_lines(server, 3)  # the startup /health, ours, the 413
    refused = [line for line in lines if line["status"] == 413]
    assert [(line["method"], line["route"]) for line in refused] == [("POST", "/v1/bookings")]
    assert "Traceback" not in server.output()
    # the server goes on serving
    assert httpx.get(f"{server.base_url}/health", timeout=5).status_code == 200


def test_many_huge_declared_bodies_write_one_line_each(server: Server) -> None:
    # (the start-up /health's line may land after this read: only the 413s are counted)
    before = len(server.output().encode())
    baseline = len(_wait_for_log_lines(server, 0, status=413))
    for _ in range(ATTACKS):
        with _connect(server) as sock:
            sock.sendall(_oversized_post())
            _assert_too_large(*_read_response(sock))
            assert _closed_cleanly(sock)
    lines = _wait_for_log_lines(server, baseline + ATTACKS, status=413)[baseline:]
    output = server.output()
    assert len(lines) == ATTACKS
    assert {(line["method"], line["route"]) for line in lines} == {("POST", "/v1/bookings")}
    others = {(line["method"], line["route"]) for line in access_lines(server)} - {
        ("POST", "/v1/bookings")
    }
    assert others <= {("GET", "/health")}
    assert "Traceback" not in output
    written = len(output.encode()) - before
    print(f"{ATTACKS} oversized requests wrote {written} log bytes")
    assert written < ATTACKS * 400  # one short JSON line each
    # unmatched paths and other route shapes are logged too, never crash the logger
    with _connect(server) as sock:
        sock.sendall(_oversized_post("/no/such/path"))
        _assert_too_large(*_read_response(sock))
    with _connect(server) as sock:
        sock.sendall(_oversized_post("/portal/static/app.css"))
        _assert_too_large(*_read_response(sock))
    refused = _wait_for_log_lines(server, baseline + ATTACKS + 2, status=413)
    routes = [line["route"] for line in refused]
    assert routes[-2:] == ["unmatched", "/portal/static/{path}"]
    assert "Traceback" not in server.output()


def test_a_chunked_body_over_the_limit_gets_413(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /v1/bookings HTTP/1.1\r\nHost: abuse\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 1024
        try:  # more than the limit; the server may refuse (and close) before all is sent
            for _ in range(LIMIT // len(chunk) + 2):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        _assert_too_large(*_read_response(sock))
    lines = _wait_for_log_lines(server, 2)
    assert [(line["route"], line["status"]) for line in lines if line["status"] == 413] == [
        ("/v1/bookings", 413)
    ]
    assert "Traceback" not in server.output()
