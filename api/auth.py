"""Who is calling: a bearer API key with a role (``P2P_API_KEYS``, trusted back ends) or an
OpenID Connect access token acting for one person (SPEC §10).

A route names the roles it admits with ``require``; admin is admitted everywhere, and a
``provider`` token wherever a portal is (scoped to its organisation). The principal carries
the caller's ``Scope``, which every booking read takes, so a route cannot forget it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiProblem
from api.ratelimit import client_address, limit_link, limiter_of
from p2p_scheduler.config import Settings
from p2p_scheduler.domain.access import EVERYTHING, Scope
from p2p_scheduler.domain.errors import InvalidInput
from p2p_scheduler.domain.links import Purpose
from p2p_scheduler.identity import (
    Identity,
    InvalidToken,
    TokenVerifier,
    UnknownSigningKey,
    looks_like_token,
)
from p2p_scheduler.services import booking, calendars

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from P2P_API_KEYS, or an access token (JWT) of P2P_OIDC_ISSUER",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="p2p-scheduler"'}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role, the actor the audit trail names (an API key's id, never its
    secret, or ``<role>:<sub>`` of a token), and what the caller may see."""

    role: str
    key_id: str
    scope: Scope = EVERYTHING
    #: a token's person (None for an API key)
    identity: Identity | None = None

    @property
    def provider_org(self) -> str | None:
        return self.identity.provider_org if self.identity else None

    @property
    def idempotency_owner(self) -> str:
        """Whose ``Idempotency-Key``s this caller's are: an API key's, or a token's person —
        for a provider, the person acting for this organisation, so that the same person
        signed in for another one never has a booking of the first replayed to it."""
        org = self.provider_org
        if self.identity is None or org is None:
            return self.key_id
        return f"{self.role}@{org}:{self.identity.subject}"

    @property
    def sees_provider_links(self) -> bool:
        """Reviewers never receive a booking's provider links (SPEC §9)."""
        return self.role != "reviewer"


def _key_principal(settings: Settings, credential: str) -> Principal | None:
    found: Principal | None = None
    for key in settings.api_keys:
        # compare against every key so timing does not reveal which one matched
        if hmac.compare_digest(key.secret.get_secret_value().encode(), credential.encode()):
            found = Principal(role=key.role, key_id=key.key_id)
    return found


def _token_principal(identity: Identity) -> Principal:
    scope = EVERYTHING
    if identity.role == "provider":
        scope = Scope(provider_org=identity.provider_org)
    elif identity.role == "reviewer":
        scope = Scope(reviewer_id=identity.reviewer_id)
    return Principal(
        role=identity.role,
        key_id=f"{identity.role}:{identity.subject}",
        scope=scope,
        identity=identity,
    )


async def _authenticate(request: Request, credential: str) -> Principal:
    principal = _key_principal(request.app.state.settings, credential)
    if principal is not None:
        return principal
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if verifier is None and looks_like_token(credential):
        raise ApiProblem(
            "unauthorized",
            "Sign-in tokens are not accepted here (no issuer is configured); use an API key.",
            headers=CHALLENGE,
        )
    if verifier is None or not looks_like_token(credential):
        raise ApiProblem(
            "unauthorized",
            "This API key is not recognised. Check the key, or ask your administrator for one.",
            headers=CHALLENGE,
        )
    try:
        return _token_principal(await _verified(verifier, credential))
    except InvalidToken as error:
        raise ApiProblem("unauthorized", str(error), headers=CHALLENGE) from None


async def _verified(verifier: TokenVerifier, credential: str) -> Identity:
    """The token's identity. A key its issuer's set lacks makes us fetch the issuer's keys
    (if allowed now) and try once more; the common case, a known key, is one verification."""
    try:
        return verifier.verify(credential)
    except UnknownSigningKey:
        keys = verifier.unknown_key(credential)
        if keys is None:
            raise
        await run_in_threadpool(keys.refresh)  # off the event loop: other requests go on
        return verifier.verify(credential)


def provider_org_of(principal: Principal, requested: str | None) -> str | None:
    """The organisation a new booking or request belongs to: a provider's own (naming
    another is refused), or what a trusted back end says (SPEC §10)."""
    if principal.role != "provider":
        return requested
    own = principal.provider_org
    if requested is not None and requested != own:
        raise InvalidInput(
            f"You are signed in for {own!r}; a booking cannot be made for {requested!r}. "
            "Leave provider_org out, or sign in for that organisation.",
            field="provider_org",
        )
    return own


def require(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting ``roles`` (and admin; and provider tokens where portal is)."""
    allowed = {*roles, "admin"} | ({"provider"} if "portal" in roles else set())

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        return await authorize(request, credentials, allowed)

    dependency.roles = frozenset(allowed)  # type: ignore[attr-defined]
    return dependency


async def _authenticate_header(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(
            "unauthorized",
            "Send your API key or access token in the header 'Authorization: Bearer <key>'.",
            headers=CHALLENGE,
        )
    return await _authenticate(request, credentials.credentials)


async def authorize(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    allowed: set[str] | frozenset[str],
) -> Principal:
    """The caller's principal, or a 401/403 problem; a 429 first when the caller's address
    has failed too often (``api.ratelimit``), and each 401 counts against it."""
    limiter = limiter_of(request)
    address = client_address(request)
    if limiter is not None:
        limiter.check_address(address)
    try:
        principal = await _authenticate_header(request, credentials)
    except ApiProblem as problem:
        if limiter is not None and problem.kind == "unauthorized":
            limiter.count_failure(address)
        raise
    request.state.key_id = principal.key_id
    if limiter is not None:
        limiter.check_key(principal.key_id)
    if principal.role not in allowed:
        needed = " or ".join(sorted(allowed - {"provider"}))
        article = "an" if needed[0] in "aeiou" else "a"
        kind = "keys" if principal.identity is None else "sign-ins"
        raise ApiProblem(
            "forbidden",
            f"{principal.role.capitalize()} {kind} cannot do this; it needs {article} {needed} role.",
        )
    return principal


#: the role of a caller holding a booking's manage link (the provider, without a key)
MANAGE_LINK = "manage-link"


async def manage_link_principal(request: Request, token: str) -> Principal:
    """The caller of a booking's manage link: the link stands in for a key, for the booking
    in the path only (its token is signed for that id; any other answers 404 as an unknown
    id, a replaced one 403, the link of a cancelled booking 410: ``booking_for_token``)."""
    booking_id = str(request.path_params.get("booking_id", ""))
    limit_link(request, Purpose.MANAGE, booking_id, token)
    state = request.app.state
    await run_in_threadpool(
        calendars.booking_for_token,
        state.engine,
        state.notifier,
        booking_id,
        token,
        now=state.clock(),
    )
    request.state.key_id = f"{MANAGE_LINK}:{booking_id}"
    return Principal(role=MANAGE_LINK, key_id=request.state.key_id)


def require_or_manage_link(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """``require(*roles)``, or the booking's manage link (``?token=``) instead of a key: what
    the manage page does with a booking (its move times, reschedule, cancel; SPEC §11)."""
    allowed = require(*roles).roles  # type: ignore[attr-defined]

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        token: str | None = Query(
            None, max_length=400, description="the booking's manage-link token, instead of a key"
        ),
    ) -> Principal:
        if token is None:
            return await authorize(request, credentials, allowed)
        return await manage_link_principal(request, token)

    dependency.roles = allowed  # type: ignore[attr-defined]
    dependency.manage_link = True  # type: ignore[attr-defined]
    return dependency


def _guard_of_route(request: Request) -> Callable[..., Any] | None:
    """The matched route's ``require`` dependency (None: a public route)."""
    route = request.scope.get("route")
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dependant = pending.pop()
        if getattr(dependant.call, "roles", None) is not None:
            return dependant.call
        pending.extend(dependant.dependencies)
    return None


async def check_before_body(request: Request) -> None:
    """Authenticate a request whose body failed to parse, so anonymous callers get 401, not 422.

    FastAPI decodes the body before it runs dependencies; this re-runs the route's auth
    check from the validation-error handler. Scope comes next, before every other rule: a
    booking outside the caller's scope is not found, however wrong the body (SPEC §10).
    """
    guard = _guard_of_route(request)
    if guard is None:
        return
    token = request.query_params.get("token")
    if token is not None and getattr(guard, "manage_link", False):
        await manage_link_principal(request, token)  # the link is for this booking alone
        return
    roles: frozenset[str] = guard.roles  # type: ignore[attr-defined]
    principal = await authorize(request, await bearer(request), roles)
    booking_id = request.path_params.get("booking_id")
    if isinstance(booking_id, str) and not principal.scope.unrestricted:
        await run_in_threadpool(
            booking.require_in_scope, request.app.state.engine, booking_id, principal.scope
        )


async def require_json(request: Request) -> None:
    """415 for a body that is not JSON, instead of a confusing validation error."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        await check_before_body(request)  # who may ask, and scope, come first
        raise ApiProblem(
            "unsupported-media-type",
            f"Request bodies must be JSON; send 'Content-Type: application/json' (got {media!r}).",
        )
