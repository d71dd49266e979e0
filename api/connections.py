"""Slow and idle clients are cut off before they send a request head (SPEC §9 "Abuse limits").

uvicorn closes a keep-alive connection left idle after an answer (``timeout_keep_alive``,
set from ``P2P_IDLE_TIMEOUT_SECONDS``) and nothing else: a client that opens a connection
and sends nothing, or sends a request head a few bytes at a time and never finishes it,
holds its connection (a socket, a parser, a slot in the server) for as long as it likes.
``serve`` therefore runs uvicorn's httptools protocol with the two deadlines it lacks:

- **idle**: a new connection that sends no byte within ``P2P_IDLE_TIMEOUT_SECONDS`` is
  closed, by uvicorn's own keep-alive timer, armed at once rather than after a first answer;
- **request head**: a request line and headers not complete within
  ``P2P_HEADER_TIMEOUT_SECONDS`` of their first byte get a 408 problem, and the connection
  is closed. The deadline does not move when more bytes come: a trickle cannot extend it.

The body's deadline is ``api.middleware``'s, which reads every body before the app runs,
so its 408 is an ordinary answer with its request id and access line.

This subclasses uvicorn internals (``HttpToolsProtocol``); ``pyproject.toml`` pins uvicorn
to one minor version and ``tests/e2e/test_abuse_slow_clients.py`` checks the behaviour.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.problems import problem_response
from p2p_scheduler.config import Settings, load_settings

log = logging.getLogger("p2p_scheduler.access")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus an idle deadline for a new connection and a
    deadline for each request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _header_timeout_seconds()
        self.head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # idle until the first byte, as between requests (``data_received`` cancels it)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        if self.head_deadline is None and (self.cycle is None or self.cycle.response_complete):
            # the first byte of a new request head (a body's bytes come while a cycle runs)
            self.head_deadline = self.loop.call_later(self.header_timeout, self.head_timed_out)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._cancel_head_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def head_timed_out(self) -> None:
        """No answer is under way (the deadline runs only between requests): say why, close."""
        self.head_deadline = None
        if self.transport.is_closing():
            return
        headers = b"".join(
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        )
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\n" + headers + _timeout_answer(self.header_timeout)
        )
        self.transport.close()
        log.info(
            "request head timed out",
            extra={
                "method": "-",  # not received: neither are the route and the key
                "route": "-",
                "status": 408,
                "duration_ms": round(self.header_timeout * 1000, 1),
                "key_id": "-",
            },
        )

    def _cancel_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None


@functools.cache
def _header_timeout_seconds() -> float:
    """From the environment, once per process (``serve`` has validated it; each worker
    process reads it again, as the app factory does)."""
    return load_settings(Settings).header_timeout_seconds


@functools.cache
def _timeout_answer(seconds: float) -> bytes:
    """The 408 problem's headers (after the status line and server headers) and body."""
    response = problem_response(
        "request-timeout",
        f"The request did not arrive within {seconds:g} seconds; "
        "check the network connection and send the request again.",
        headers={
            "connection": "close",
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )
    head = b"".join(name + b": " + value + b"\r\n" for name, value in response.raw_headers)
    return head + b"\r\n" + bytes(response.body)
