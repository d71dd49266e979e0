"""The reference portal and reviewer pages (``/portal/``): static HTML and a little JavaScript
that call ``/v1/…`` like any portal front end would.

Pages are plain files, not templates: nothing on them comes from the server but through the
API, so there is nothing to escape on the server side and the same files would work from any
web server. Every page is sent with a strict Content-Security-Policy (scripts and styles only
from this service, no inline code) and without a Referer, so that a booking id in the page's
URL fragment never leaves the browser.

The pages hold no shared key (SPEC §10): ``/portal/config.json`` tells them how to sign in,
with the configured issuer (Authorization Code with PKCE, in the browser) or, in
``serve --demo``, with the demo tokens the command printed. When an issuer is configured, the
pages' ``connect-src`` also admits the issuer's origin, the only other place they call (its
discovery document and token endpoint); everything else stays ``'self'``.
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.paths import ReviewerId
from p2p_scheduler.config import Settings

PAGES = FilePath(__file__).resolve().parent.parent / "portal"

_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_OTHER_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
#: the headers of every page and asset when no issuer is configured
SECURITY_HEADERS = {"Content-Security-Policy": _POLICY.format(connect="'self'"), **_OTHER_HEADERS}

router = APIRouter(prefix="/portal", include_in_schema=False)


def origin_of(url: str) -> str:
    """``https://login.example.org`` of ``https://login.example.org/realms/p2p``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8)
def _headers_for(issuer: str | None) -> dict[str, str]:
    if issuer is None:
        return SECURITY_HEADERS
    connect = f"'self' {origin_of(issuer)}"
    return {"Content-Security-Policy": _POLICY.format(connect=connect), **_OTHER_HEADERS}


def security_headers(settings: Settings | None) -> dict[str, str]:
    """The pages' headers: ``connect-src`` admits the issuer's origin when there is one."""
    return _headers_for(settings.oidc_issuer if settings is not None else None)


def _page(request: Request, name: str) -> FileResponse:
    return FileResponse(
        PAGES / name,
        media_type="text/html; charset=utf-8",
        headers={**security_headers(request.app.state.settings), "Cache-Control": "no-store"},
    )


#: what a page behind a link token carries: the token is in its URL, so nothing keeps a copy
#: (``no-store``) and no Referer takes it elsewhere (``no-referrer``, in the security headers)
LINK_PAGE_HEADERS = {"Cache-Control": "no-store", "Vary": "Accept"}


def manage_page(request: Request) -> FileResponse:
    """The manage link's page (SPEC §11): a shell that reads the booking id and the token
    from its own URL and asks the API for the booking with them; no booking data in it."""
    return FileResponse(
        PAGES / "manage.html",
        media_type="text/html; charset=utf-8",
        headers={**security_headers(request.app.state.settings), **LINK_PAGE_HEADERS},
    )


_NOTICE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/portal/static/portal.css">
</head>
<body>
  <header class="top"><span class="brand">Your P2P</span></header>
  <main id="main" class="single">
    <h1>{title}</h1>
    {paragraphs}
  </main>
</body>
</html>
"""


def link_notice(request: Request, status: int, title: str, *paragraphs: str) -> HTMLResponse:
    """A plain page saying why a link does not open (what a browser gets instead of the
    problem+json an API client gets); every word is escaped."""
    body = _NOTICE.format(
        title=html.escape(title),
        paragraphs="\n    ".join(f"<p>{html.escape(text)}</p>" for text in paragraphs),
    )
    return HTMLResponse(
        body,
        status_code=status,
        headers={**security_headers(request.app.state.settings), **LINK_PAGE_HEADERS},
    )


def cancelled_on(cancelled_at: object, time_zone: object) -> str:
    """ "Tuesday, November 24, 2026" in the booking's zone (the provider's)."""
    try:
        moment = datetime.fromisoformat(str(cancelled_at)).astimezone(ZoneInfo(str(time_zone)))
    except (ValueError, KeyError):
        return "an earlier date"
    return f"{moment:%A, %B} {moment.day}, {moment.year}"


def page_config(settings: Settings) -> dict[str, Any]:
    """How the pages sign in: with the issuer (a public client: no secret; PKCE), and
    whether ``serve --demo`` printed demo sign-in links."""
    oidc = None
    if settings.oidc_issuer:
        oidc = {
            "authority": settings.oidc_issuer,
            "client_id": settings.oidc_client_id or settings.token_audience,
            "scope": settings.oidc_scopes,
        }
    return {"oidc": oidc, "demo": settings.demo_token_key is not None}


@router.get("")
def portal_root() -> RedirectResponse:
    return RedirectResponse("/portal/", status_code=308)


@router.get("/config.json")
def pages_config(request: Request) -> JSONResponse:
    """The pages' sign-in settings: public (no key), read before anyone has signed in."""
    settings = request.app.state.settings
    return JSONResponse(
        page_config(settings),
        headers={**security_headers(settings), "Cache-Control": "no-store"},
    )


@router.api_route("/", methods=["GET", "HEAD"])
def provider_pages(request: Request) -> FileResponse:
    """The provider's P2P scheduling pages (one page; the steps are sections of it)."""
    return _page(request, "index.html")


@router.api_route("/reviewers/", methods=["GET", "HEAD"])
def reviewer_picker(request: Request) -> FileResponse:
    return _page(request, "reviewer.html")


@router.api_route("/reviewers/{reviewer_id}", methods=["GET", "HEAD"])
def reviewer_day_view(request: Request, reviewer_id: ReviewerId) -> FileResponse:
    """The reviewer's day view; the page reads the reviewer id from its own path."""
    return _page(request, "reviewer.html")


@router.api_route("/reports", methods=["GET", "HEAD"])
def reports_page(request: Request) -> FileResponse:
    """The operations report for UM leaders (SPEC §12): figures and charts of
    ``GET /v1/reports/p2p``, which the page reads with an ``ops`` or admin sign-in."""
    return _page(request, "reports.html")


class PortalStatic(StaticFiles):
    """The pages' scripts, stylesheet and vendored libraries, with the pages' security headers."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[override]
        response = await super().get_response(path, scope)
        app = scope.get("app")
        settings = getattr(getattr(app, "state", None), "settings", None)
        response.headers.update(security_headers(settings))
        return response


static = PortalStatic(directory=PAGES / "static")
