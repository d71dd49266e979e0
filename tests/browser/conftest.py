"""Browser end-to-end fixtures: the real ``serve --demo`` and Debian's Chromium via Playwright.

Chromium comes from the system (``apt-get install chromium``), never from a download: the
path is ``P2P_TEST_CHROMIUM`` (``.ci/run`` sets it, so there a missing browser fails the run)
or ``/usr/bin/chromium``; with neither, the browser tests skip loudly. Each step's screenshot
is saved under ``test-artifacts/browser/<test>/`` (or ``$P2P_TEST_ARTIFACTS/browser/…``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.server import Server, cli_env, start_server, stop

CHROMIUM_ENV = "P2P_TEST_CHROMIUM"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
# The flags this machine's tool library gives for headless Chromium as root on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = re.compile(r"^(https?://(127\.0\.0\.1|localhost)(:\d+)?(/|$)|data:|about:)")

_skipped_browser: list[str] = []

expect.set_options(timeout=15_000)


def chromium_path() -> Path:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        path = Path(configured)
        if not path.exists():
            pytest.fail(f"{CHROMIUM_ENV}={configured} does not exist", pytrace=False)
        return path
    if DEFAULT_CHROMIUM.exists():
        return DEFAULT_CHROMIUM
    _skipped_browser.append("x")
    pytest.skip(
        f"no Chromium: browser tests are SKIPPED (apt-get install chromium, or set {CHROMIUM_ENV})"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_browser:
        terminalreporter.write_line(
            "WARNING: BROWSER TESTS WERE SKIPPED — apt-get install chromium "
            f"(or set {CHROMIUM_ENV}) to run them.",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The README's first command's server: ``serve --demo`` on a free port, SQLite."""
    workdir = tmp_path_factory.mktemp("portal-demo")
    server = start_server(workdir, cli_env(P2P_RATE_LIMIT_PER_MINUTE="0"), "--demo")
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    # Only this machine's servers: a page that names another host (the OIDC provider's form
    # links a CDN stylesheet) gets a refusal, never a request leaving the machine.
    context.route(lambda url: not LOOPBACK.match(url), lambda route: route.abort())
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot("03-preferences")`` saves a full-page screenshot as a test artifact."""
    base = Path(os.environ.get("P2P_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    folder = base / "browser" / re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
