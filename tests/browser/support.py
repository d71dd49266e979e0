"""Helpers of the browser tests: the API as a portal calls it, and times as the pages write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page

from tests.e2e.server import Server

ZONE = "America/Chicago"
PORTAL_KEY = "demo-portal-key"


def label(instant: datetime | str, zone: str = ZONE) -> str:
    """ "Mon 5/18 6:30 pm EDT": the page's format, computed without the page's code."""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    local = instant.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return f"{local:%a} {local.month}/{local.day} {hour}:{local:%M} {half} {local:%Z}"


def api(server: Server, method: str, path: str, key: str = PORTAL_KEY, **kwargs: Any) -> Any:
    response = httpx.request(
        method,
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
        **kwargs,
    )
    assert response.status_code < 300, response.text
    return response.json()


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => e.tagName === 'BUTTON'
    ? !(e.getAttribute('aria-label') || e.textContent.trim())
    : !(e.labels.length || e.getAttribute('aria-label')))
  .map((e) => e.outerHTML.slice(0, 120))"""


def assert_labelled(page: Page) -> None:
    """Every visible field has a <label> and every button a name: what a screen reader says."""
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, f"controls without a label or name: {unlabelled}"
