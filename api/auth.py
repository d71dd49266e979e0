"""Bearer API keys with roles (``P2P_API_KEYS``). Admin keys may call every route."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiProblem
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
        if principal.role not in allowed:
            needed = " or ".join(sorted(allowed))
            raise ApiProblem(
                "forbidden",
                f"A {principal.role} key cannot do this; it needs a {needed} key.",
            )
        return principal

    return dependency


async def require_json(request: Request) -> None:
    """415 for a body that is not JSON, instead of a confusing validation error."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise ApiProblem(
            "unsupported-media-type",
            f"Request bodies must be JSON; send 'Content-Type: application/json' (got {media!r}).",
        )
