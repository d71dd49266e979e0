"""Bearer API keys with roles (``P2P_API_KEYS``). Admin keys may call every route."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiProblem
from p2p_scheduler.config import Role, Settings

bearer = HTTPBearer(auto_error=False, description="An API key from P2P_API_KEYS")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's role and its id (never the secret)."""

    role: Role
    key_id: str


def _authenticate(settings: Settings, token: str) -> Principal | None:
    found: Principal | None = None
    for key in settings.api_keys:
        # compare against every key so timing does not reveal which one matched
        if hmac.compare_digest(key.secret.get_secret_value().encode(), token.encode()):
            found = Principal(role=key.role, key_id=key.key_id)
    return found


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting keys of ``roles`` (and admin)."""
    allowed = {*roles, "admin"}

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        return authorize(request, credentials, allowed)

    dependency.roles = frozenset(allowed)  # type: ignore[attr-defined]
    return dependency


def authorize(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    allowed: set[str] | frozenset[str],
) -> Principal:
    """The caller's principal, or a 401/403 problem."""
    challenge = {"WWW-Authenticate": 'Bearer realm="p2p-scheduler"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(
            "unauthorized",
            "Send your API key in the header 'Authorization: Bearer <key>'.",
            headers=challenge,
        )
    principal = _authenticate(request.app.state.settings, credentials.credentials)
    if principal is None:
        raise ApiProblem(
            "unauthorized",
            "This API key is not recognised. Check the key, or ask your administrator for one.",
            headers=challenge,
        )
    request.state.key_id = principal.key_id
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.check(principal.key_id)
    if principal.role not in allowed:
        needed = " or ".join(sorted(allowed))
        article = "an" if needed[0] in "aeiou" else "a"
        raise ApiProblem(
            "forbidden",
            f"{principal.role.capitalize()} keys cannot do this; it needs {article} {needed} key.",
        )
    return principal


def roles_of_route(request: Request) -> frozenset[str] | None:
    """The roles the matched route admits, found on its ``require`` dependency (None: public)."""
    route = request.scope.get("route")
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dependant = pending.pop()
        roles = getattr(dependant.call, "roles", None)
        if roles is not None:
            return roles
        pending.extend(dependant.dependencies)
    return None


async def check_before_body(request: Request) -> None:
    """Authenticate a request whose body failed to parse, so anonymous callers get 401, not 422.

    FastAPI decodes the body before it runs dependencies; this re-runs the route's auth
    check from the validation-error handler.
    """
    roles = roles_of_route(request)
    if roles is not None:
        authorize(request, await bearer(request), roles)


async def require_json(request: Request) -> None:
    """415 for a body that is not JSON, instead of a confusing validation error."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise ApiProblem(
            "unsupported-media-type",
            f"Request bodies must be JSON; send 'Content-Type: application/json' (got {media!r}).",
        )
