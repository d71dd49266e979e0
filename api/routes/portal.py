"""The reference portal and reviewer pages (``/portal/``): static HTML and a little JavaScript
that call ``/v1/…`` like any portal front end would.

Pages are plain files, not templates: nothing on them comes from the server but through the
API, so there is nothing to escape on the server side and the same files would work from any
web server. Every page is sent with a strict Content-Security-Policy (scripts and styles only
from this service, no inline code) and without a Referer, so that a booking id in the page's
URL fragment never leaves the browser.
"""

from __future__ import annotations

from pathlib import Path as FilePath

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.paths import ReviewerId

PAGES = FilePath(__file__).resolve().parent.parent / "portal"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

router = APIRouter(prefix="/portal", include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(
        PAGES / name,
        media_type="text/html; charset=utf-8",
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


@router.get("")
def portal_root() -> RedirectResponse:
    return RedirectResponse("/portal/", status_code=308)


@router.api_route("/", methods=["GET", "HEAD"])
def provider_pages() -> FileResponse:
    """The provider's P2P scheduling pages (one page; the steps are sections of it)."""
    return _page("index.html")


@router.api_route("/reviewers/", methods=["GET", "HEAD"])
def reviewer_picker() -> FileResponse:
    return _page("reviewer.html")


@router.api_route("/reviewers/{reviewer_id}", methods=["GET", "HEAD"])
def reviewer_day_view(reviewer_id: ReviewerId) -> FileResponse:
    """The reviewer's day view; the page reads the reviewer id from its own path."""
    return _page("reviewer.html")


class PortalStatic(StaticFiles):
    """The pages' scripts and stylesheet, with the pages' security headers."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[override]
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


static = PortalStatic(directory=PAGES / "static")
