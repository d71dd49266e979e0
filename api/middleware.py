"""Every request: an id, a size limit, one structured log line and its latency metric.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so that it adds no task or copy per
request on the hot path.

- **Request id**: the caller's ``X-Request-ID`` when it is a plain token (so a portal can
  follow its own ids through our logs), else a fresh one; echoed in the response and on
  every log line written while the request is served.
- **Body size**: a declared ``Content-Length`` above ``P2P_MAX_BODY_BYTES`` is refused with
  413 before anything is read; a streamed (chunked) body is read up to the limit first.
- **Log line**: method, route *template*, status, duration, the API key's id. Never the
  query string (it carries signed link tokens) and never a body (bodies carry PHI).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from p2p_scheduler import logs, metrics

log = logging.getLogger("p2p_scheduler.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = logs.request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None:
                if declared.isdigit() and int(declared) > self.max_body_bytes:
                    await self._too_large(scope, receive, send_with_id)
                else:
                    await self.app(scope, receive, send_with_id)
            else:
                # A streamed (chunked) body: read it here, up to the limit, then replay it.
                # (An error raised from inside ``receive`` would reach FastAPI's body parser,
                # which turns every exception into a 422.)
                buffered = await self._read_within_limit(receive)
                if buffered is None:
                    await self._too_large(scope, receive, send_with_id)
                else:
                    await self.app(scope, _replay(buffered, receive), send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            self._record(scope, status, elapsed)
            logs.request_id.reset(token)

    async def _read_within_limit(self, receive: Receive) -> list[Message] | None:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            "payload-too-large",
            f"The request body is larger than {self.max_body_bytes} bytes; send less.",
            instance=scope.get("path"),
        )
        await response(scope, receive, send)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = _route_template(scope)
        method = scope.get("method", "")
        metrics.REQUEST_SECONDS.labels(method, route, str(status)).observe(elapsed)
        state: dict[str, Any] = scope.get("state") or {}
        if method == "POST" and route == "/v1/bookings":
            outcome = "booked" if status == 201 else state.get("problem_kind", str(status))
            metrics.BOOKINGS.labels(outcome).inc()
        log.info(
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
                "key_id": state.get("key_id", "-"),
            },
        )


def _route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/bookings/{booking_id}``), so that neither
    metrics nor logs grow a series per id; ``unmatched`` for a path no route serves."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    app = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", []):
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            return str(candidate.path)
    return "unmatched"


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out the buffered messages, then the real ones."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
