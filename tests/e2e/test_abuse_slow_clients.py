"""Slow and idle clients are cut off (issue 16, finding 10; SPEC §9 "Abuse limits").

Raw sockets against the real server, with short limits: a connection that sends nothing
(new, or after an answer) is closed after ``P2P_IDLE_TIMEOUT_SECONDS`` without a word; a
request head not complete ``P2P_HEADER_TIMEOUT_SECONDS`` after its first byte, and a body
not complete ``P2P_BODY_TIMEOUT_SECONDS`` after its head, get a 408 problem and are closed.
"Closed" is what a client sees: ``recv`` returns ``b""`` (a FIN). Before this, all of these
connections were held for as long as the client liked.
"""

from __future__ import annotations

import json
import selectors
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.server import Server, access_lines, cli_env, start_server, stop

pytestmark = pytest.mark.e2e

IDLE = 1.0
HEADER = 2.0
BODY = 2.0
#: how much later than its limit a connection may be cut (timer, scheduling, a busy CI box)
MARGIN = 1.5
#: how much earlier: timers do not fire early, but clocks are read on two sides
EARLY = 0.1
#: between the parts of a slow but steady request (three pauses fit in a 2 s limit)
PAUSE = 0.45
PORTAL_KEY = "slow-portal-key-0001"

PARTIAL_HEAD = b"GET /health HTTP/1.1\r\nHost: slow\r\n"
PARTIAL_BODY = (
    b"POST /v1/bookings HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n" + b"0123456789"
)
HEALTH = b"GET /health HTTP/1.1\r\nHost: slow\r\n\r\n"


def _start(tmp_path: Path, workers: int = 1) -> Server:
    env = cli_env(
        P2P_DATABASE_URL=f"sqlite:///{tmp_path / 'slow.db'}",
        P2P_API_KEYS=f"admin:slow-admin-key-0001,portal:{PORTAL_KEY}",
        P2P_SECRET_KEY="slow-secret-key-0123456789",
        P2P_IDLE_TIMEOUT_SECONDS=str(IDLE),
        P2P_HEADER_TIMEOUT_SECONDS=str(HEADER),
        P2P_BODY_TIMEOUT_SECONDS=str(BODY),
    )
    return start_server(tmp_path, env, "--workers", str(workers))


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The server, in ``request.param`` processes (1 unless the test is parametrized)."""
    running = _start(tmp_path, getattr(request, "param", 1))
    try:
        yield running
    finally:
        stopped = time.monotonic()
        stop(running.process)
        print(f"stopped in {time.monotonic() - stopped:.1f} s")
        print(f"--- server log ({running.log}) ---\n{running.output()}")  # shown on failure


def _connect(server: Server) -> socket.socket:
    address = urlsplit(server.base_url)
    return socket.create_connection((address.hostname, address.port), timeout=10)


@dataclass
class Ending:
    received: bytes
    seconds: float  # from ``since`` to the server's FIN


def _until_closed(sock: socket.socket, since: float, patience: float) -> Ending:
    """Everything the server sends until it closes; fails if it is still open after
    ``patience`` seconds from ``since``."""
    received = b""
    while True:
        left = since + patience - time.monotonic()
        if left <= 0:
            pytest.fail(f"still open after {patience} s, having sent {received!r}")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return Ending(received, time.monotonic() - since)
        received += chunk


def _until_all_closed(socks: list[socket.socket], since: float, patience: float) -> list[Ending]:
    """``_until_closed`` for many sockets at once, each timed when its own FIN arrives."""
    endings: dict[socket.socket, Ending] = {}
    received = {sock: b"" for sock in socks}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        while len(endings) < len(socks):
            left = since + patience - time.monotonic()
            if left <= 0:
                open_ = [received[sock] for sock in socks if sock not in endings]
                pytest.fail(f"{len(open_)} still open after {patience} s, having sent {open_!r}")
            for key, _ in selector.select(left):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                chunk = sock.recv(65536)
                if chunk:
                    received[sock] += chunk
                else:
                    endings[sock] = Ending(received[sock], time.monotonic() - since)
                    selector.unregister(sock)
    return [endings[sock] for sock in socks]


def _response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _assert_timeout_problem(raw: bytes) -> None:
    status, headers, body = _response(raw)
    assert status == 408, raw
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["type"].endswith("/request-timeout")
    assert problem["status"] == 408
    assert "send the request again" in problem["detail"]


def _within(ending: Ending, limit: float) -> None:
    assert limit - EARLY <= ending.seconds <= limit + MARGIN, (ending.seconds, limit)


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(HEALTH)
        raw = b""
        while b'{"status":"ok"}' not in raw:
            raw += sock.recv(65536)
        answered = time.monotonic()
        status, headers, _ = _response(raw)
        assert status == 200 and headers.get("connection") != "close"
        ending = _until_closed(sock, answered, IDLE + MARGIN)
    assert ending.received == b""
    _within(ending, IDLE)


def test_a_new_connection_that_sends_nothing_is_closed_after_the_idle_timeout(
    server: Server,
) -> None:
    with _connect(server) as sock:
        ending = _until_closed(sock, time.monotonic(), IDLE + MARGIN)
    assert ending.received == b""
    _within(ending, IDLE)


@pytest.mark.parametrize("trickle", [False, True], ids=["stalled", "trickled"])
def test_an_unfinished_request_head_gets_408_and_is_closed(server: Server, trickle: bool) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(PARTIAL_HEAD)
        if trickle:  # a byte every 0.25 s never finishes the head, and never moves its deadline
            while time.monotonic() - started < HEADER + MARGIN:
                time.sleep(0.25)
                try:
                    sock.sendall(b"x")
                except (BrokenPipeError, ConnectionResetError):
                    break
        ending = _until_closed(sock, started, HEADER + MARGIN)
    _assert_timeout_problem(ending.received)
    _within(ending, HEADER)
    time.sleep(0.2)
    timed_out = [line for line in access_lines(server) if line["status"] == 408]
    assert [(line["method"], line["route"]) for line in timed_out] == [("-", "-")]
    assert "Traceback" not in server.output()


def test_an_unfinished_body_gets_408_one_log_line_and_is_closed(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(PARTIAL_BODY)  # 10 of the 100 bytes declared, then nothing
        ending = _until_closed(sock, time.monotonic(), BODY + MARGIN)
    _assert_timeout_problem(ending.received)
    _within(ending, BODY)
    _, headers, _ = _response(ending.received)
    assert "x-request-id" in headers
    time.sleep(0.2)
    timed_out = [line for line in access_lines(server) if line["status"] == 408]
    assert [(line["method"], line["route"]) for line in timed_out] == [("POST", "/v1/bookings")]
    assert "Traceback" not in server.output()


@pytest.mark.parametrize("server", [1, 2], indirect=True, ids=["one-process", "two-processes"])
def test_sixteen_slow_clients_do_not_delay_others_and_are_all_cut_off(server: Server) -> None:
    attacks = {"silent": b"", "idle after an answer": HEALTH, "head": PARTIAL_HEAD}
    attacks["body"] = PARTIAL_BODY
    opened = time.monotonic()
    slow = [(kind, _connect(server)) for kind in list(attacks) * 4]
    for kind, sock in slow:
        sock.sendall(attacks[kind])

    asked = time.monotonic()
    assert httpx.get(f"{server.base_url}/health", timeout=5).status_code == 200
    assert time.monotonic() - asked < 1

    socks = [sock for _, sock in slow]
    endings = _until_all_closed(socks, opened, max(HEADER, BODY) + MARGIN)
    for sock in socks:
        sock.close()
    held = max(ending.seconds for ending in endings)
    print(f"{len(slow)} slow connections held at most {held:.2f} s")
    for (kind, _), ending in zip(slow, endings, strict=True):
        if kind == "silent":
            assert ending.received == b""
        elif kind == "idle after an answer":
            assert _response(ending.received)[0] == 200
        else:
            _assert_timeout_problem(ending.received)
        assert ending.seconds <= {"head": HEADER, "body": BODY}.get(kind, IDLE) + MARGIN, kind


def test_a_slow_but_steady_client_within_the_limits_is_served(server: Server) -> None:
    body = json.dumps({"cases": [{"case_number": "SLOW-1", "member_dob": "1970-01-01"}]})
    head = (
        "POST /v1/eligibility HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {PORTAL_KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with _connect(server) as sock:
        # the head over 1.35 s and then the body over 1.35 s: each within its limit (2 s),
        # although the whole takes longer than either
        sock.sendall(head[:20])
        for part in (head[20:60], head[60:100], head[100:]):
            time.sleep(PAUSE)
            sock.sendall(part)
        for part in (body[:10], body[10:30], body[30:]):
            time.sleep(PAUSE)
            sock.sendall(part.encode())
        sock.settimeout(5)
        raw = b""
        while b"\r\n\r\n" not in raw or len(_response(raw)[2]) < int(
            _response(raw)[1].get("content-length", "1000000")
        ):
            chunk = sock.recv(65536)
            assert chunk, f"closed after {raw!r}"
            raw += chunk
        status, headers, answer = _response(raw)
        assert status == 200, answer
        assert json.loads(answer)["cases"][0]["case_number"] == "SLOW-1"
        assert headers.get("connection") != "close"
        # and the connection is still open for the next request
        sock.sendall(HEALTH)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_a_slow_client_does_not_hold_up_a_shutdown(tmp_path: Path) -> None:
    running = _start(tmp_path)
    with _connect(running) as head, _connect(running) as body:
        head.sendall(PARTIAL_HEAD)
        body.sendall(PARTIAL_BODY)
        time.sleep(0.2)  # both read by the server
        stopping = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        try:
            # the unfinished head is dropped at once; the unfinished body's request is under
            # way, so the server lets it finish: it gets its 408 when its time is up
            running.process.wait(timeout=BODY + MARGIN)
        except subprocess.TimeoutExpired:
            stop(running.process)
            pytest.fail(f"still running {BODY + MARGIN} s after SIGTERM:\n{running.output()}")
        stopped = time.monotonic() - stopping
        print(f"stopped {stopped:.2f} s after SIGTERM")
        assert _until_closed(head, time.monotonic(), 1).received == b""
        _assert_timeout_problem(_until_closed(body, time.monotonic(), 1).received)
    assert running.process.returncode in (0, -signal.SIGTERM)  # as test_serve: a clean exit
    assert "Application shutdown complete." in running.output()
    assert stopped <= BODY + MARGIN
