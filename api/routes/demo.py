"""The demo issuer's public key and discovery document, served only by ``serve --demo``.

Demo tokens (SPEC §10) are signed by a key made when the demo starts; publishing its public
half lets anyone check them the way they would check a real issuer's, and the routes do not
exist outside the demo.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from p2p_scheduler.identity import demo_issuer

router = APIRouter(prefix="/demo", include_in_schema=False)


@router.get("/jwks.json")
def demo_jwks(request: Request) -> dict[str, Any]:
    issuer = demo_issuer(request.app.state.settings)
    assert issuer is not None  # the router is included only in the demo
    return issuer.jwks()


@router.get("/.well-known/openid-configuration")
def demo_discovery(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "issuer": settings.demo_issuer_url,
        "jwks_uri": settings.demo_issuer_url + "/jwks.json",
        "id_token_signing_alg_values_supported": ["ES256"],
    }
