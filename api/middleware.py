"""Every request: an id, a size limit, one structured log line and its latency metric.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so that it adds no task or copy per
request on the hot path.

- **Request id**: the caller's ``X-Request-ID`` when it is a plain token (so a portal can
  follow its own ids through our logs), else a fresh one; echoed in the response and on
  every log line written while the request is served.
- **Body size**: a declared ``Content-Length`` above ``P2P_MAX_BODY_BYTES`` is refused with
  413 (and ``Connection: close``) before anything is read or authenticated; a streamed
  (chunked) body is read up to the limit first.
- **Body time**: every other body is read here, before the app runs, and must be complete
  within ``P2P_BODY_TIMEOUT_SECONDS`` of the request head, else 408 (and
  ``Connection: close``): a client that declares 100 bytes and sends 10 is cut off
  (SPEC §9) before authentication or any database work. (Slow and idle clients before a
  request head are ``api.connections``'s.)
- **Headers**: ``X-Content-Type-Options: nosniff`` on every answer and
  ``Cache-Control: no-store`` on JSON answers that set no caching themselves (SPEC §9).
- **Log line**: method, route *template*, status, duration, the API key's id. Never the
  query string (it carries signed link tokens) and never a body (bodies carry PHI).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from p2p_scheduler import logs, metrics

log = logging.getLogger("p2p_scheduler.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout_seconds: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds

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
                    *_with_safety_headers(list(message.get("headers", []))),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            declared = headers.get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, receive, send_with_id)
                return
            # Read the body here, within the size and time limits, then replay it. (An error
            # raised from inside ``receive`` would reach FastAPI's body parser, which turns
            # every exception into a 422.)
            try:
                async with asyncio.timeout(self.body_timeout_seconds):
                    buffered = await self._read_within_limit(receive)
            except TimeoutError:
                await self._timed_out(scope, receive, send_with_id)
                return
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
        # The body is left unread (it may be gigabytes, or never come), so the connection
        # cannot carry another request: say so, and the server closes it after this answer.
        response.headers["connection"] = "close"
        await response(scope, receive, send)

    async def _timed_out(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            "request-timeout",
            f"The request body did not arrive within {self.body_timeout_seconds:g} seconds; "
            "check the network connection and send the request again.",
            instance=scope.get("path"),
        )
        # The rest of the body may still come: the connection cannot carry another request.
        response.headers["connection"] = "close"
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
    """The route's path template (``/v1/bookings/{booking_id}``), so that neither metrics nor
    logs grow a series per id; ``unmatched`` for a path no route serves.

    The route the app dispatched to when there is one; otherwise (a 413 answered before the
    app ran, a 404, a static file) the first route whose pattern matches. Never raises: it
    runs for every answer, after the answer is sent, so an error here would cost the access
    line and the metric and reset the connection."""
    dispatched = scope.get("route")
    if dispatched is not None and isinstance(getattr(dispatched, "path", None), str):
        return _template_of(dispatched)
    app = scope.get("app")
    partial: str | None = None
    for candidate in _leaf_routes(getattr(app, "routes", None) or []):
        try:
            match, _ = candidate.matches(scope)
        except Exception:  # a route type that cannot judge this scope is not the match
            continue
        if match is Match.FULL:
            return _template_of(candidate)
        if match is Match.PARTIAL and partial is None:  # the path, another method (405)
            partial = _template_of(candidate)
    return partial or "unmatched"


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes that have a path template, looking inside included routers: FastAPI keeps
    ``app.include_router(router)`` as one entry (``_IncludedRouter``) that has no ``path``
    and matches the whole router, so its own routes are found through ``original_router``.
    (This app's routers carry their prefix themselves, so their routes' paths are complete.)"""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _leaf_routes(getattr(included, "routes", None) or [])
        elif isinstance(getattr(route, "path", None), str):
            yield route


def _template_of(route: Any) -> str:
    path = str(route.path)
    return f"{path.rstrip('/')}/{{path}}" if isinstance(route, Mount) else path


def _with_safety_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``X-Content-Type-Options: nosniff`` on every answer, and ``Cache-Control: no-store`` on
    every JSON answer (API documents and problems) whose route set no caching of its own:
    JSON answers carry booking data, and some of them (the manage link) need no
    ``Authorization`` header, so a shared cache would otherwise be free to keep them. Routes
    that choose their caching (the calendar feeds and invites, the portal pages) keep it."""
    names = {name.lower() for name, _ in headers}
    if b"x-content-type-options" not in names:
        headers.append((b"x-content-type-options", b"nosniff"))
    if b"cache-control" not in names:
        content_type = next(
            (value for name, value in headers if name.lower() == b"content-type"), b""
        )
        media_type = content_type.split(b";", 1)[0].strip().lower()
        if media_type in _JSON_MEDIA_TYPES:
            headers.append((b"cache-control", b"no-store"))
    return headers


_JSON_MEDIA_TYPES = frozenset(
    {b"application/json", b"application/problem+json", b"application/fhir+json"}
)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out the buffered messages, then the real ones."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
