"""The reference pages under ``/portal/``: served as files, without a key, with strict security
headers; every script and stylesheet they load is there; not part of the API's OpenAPI. Their
sign-in settings (``/portal/config.json``): the issuer, or none, and whether it is the demo."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import httpx
import pytest

from api.app import create_app
from p2p_scheduler.config import Settings, load_settings
from p2p_scheduler.domain.policy import load_policy
from p2p_scheduler.identity import DemoIssuer
from tests.api.helpers import assert_problem
from tests.support import TEST_API_KEYS

pytestmark = pytest.mark.anyio

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}
PAGES = ("/portal/", "/portal/reviewers/", "/portal/reviewers/rev-001", "/portal/reports")
#: file → media type; with ``nosniff`` a browser refuses a script or stylesheet served as
#: anything else
ASSETS = {
    "portal.js": "text/javascript",
    "common.js": "text/javascript",
    "reviewer.js": "text/javascript",
    "reports.js": "text/javascript",
    "portal.css": "text/css",
    # oidc-client-ts, vendored (scripts/vendor-js); common.js loads it when there is an issuer
    "vendor/oidc-client-ts.min.js": "text/javascript",
    # Chart.js, vendored the same way: the reports page's charts
    "vendor/chart.umd.min.js": "text/javascript",
}
JAVASCRIPT = {"text/javascript", "application/javascript"}
#: ``src="/portal/…"`` and ``href="/portal/…"`` in a page
PAGE_REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["'](/portal/[^"'#?]*)""")
#: ``import … from "./x.js"`` and ``import "./x.js"`` in a module script
MODULE_IMPORT = re.compile(r"""\bimport\s*(?:[^"';]*?\bfrom\s*)?["']([^"']+)["']""")
#: a script this service serves, named in a page's own script (loaded there on demand)
SCRIPT_PATH = re.compile(r"""["'](/portal/static/[^"']+\.js)["']""")


@pytest.fixture
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The pages read no database: one run, on SQLite, is enough."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'p2p.db'}"


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url.path, name)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";", 1)[0].strip()


async def test_portal_without_a_slash_redirects_permanently(client: httpx.AsyncClient) -> None:
    response = await client.get("/portal")
    assert response.status_code == 308
    assert response.headers["location"] == "/portal/"
    followed = await client.get("/portal", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.url.path == "/portal/"


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_html_without_a_key_and_with_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert_secured(response)
    # a page is the app's current one, never a stale copy
    assert response.headers["cache-control"] == "no-store"
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    # the strict policy allows no inline script: every script is a file of this service
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", response.text, flags=re.S | re.I)
    assert scripts and all(not body.strip() for body in scripts), scripts
    # nor inline styles or event handlers, which it would block as silently
    assert not re.search(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=", response.text, flags=re.I)


async def test_the_day_view_is_one_page_for_every_reviewer(client: httpx.AsyncClient) -> None:
    picker = await client.get("/portal/reviewers/")
    for reviewer_id in ("rev-001", "rev-999", "Dr.Smith_2"):
        page = await client.get(f"/portal/reviewers/{reviewer_id}")
        assert page.status_code == 200, reviewer_id
        assert page.text == picker.text
    assert (await client.get("/portal/")).text != picker.text


@pytest.mark.parametrize("name", sorted(ASSETS))
async def test_assets_have_their_type_and_the_security_headers(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/portal/static/{name}")
    assert response.status_code == 200, response.text
    wanted = ASSETS[name]
    assert media_type(response) in (JAVASCRIPT if wanted in JAVASCRIPT else {wanted})
    assert_secured(response)
    assert response.content.strip()


async def test_every_file_a_page_loads_is_there(client: httpx.AsyncClient) -> None:
    """A renamed or missing script, stylesheet or module import breaks the page: follow them
    all from both pages, as a browser would."""
    to_fetch = []
    for page in ("/portal/", "/portal/reviewers/rev-001", "/portal/reports"):
        html = (await client.get(page)).text
        found = PAGE_REFERENCE.findall(html)
        assert any(path.endswith(".js") for path in found), (page, found)
        assert any(path.endswith(".css") for path in found), (page, found)
        to_fetch += found
    fetched: dict[str, httpx.Response] = {}
    while to_fetch:
        path = to_fetch.pop()
        if path in fetched:
            continue
        response = fetched[path] = await client.get(path)
        assert response.status_code == 200, f"{path} → {response.status_code}"
        assert_secured(response)
        if path.endswith(".js"):
            assert media_type(response) in JAVASCRIPT, path
            if "/vendor/" in path:
                continue  # a library's own code: it loads nothing of ours
            for target in MODULE_IMPORT.findall(response.text):
                assert target.startswith("./"), (path, target)  # same directory, same policy
                to_fetch.append(str(PurePosixPath(path).parent / target.removeprefix("./")))
            to_fetch += SCRIPT_PATH.findall(response.text)
        elif path.endswith(".css"):
            assert media_type(response) == "text/css", path
    # the pages' scripts, their shared module, the sign-in and chart libraries, the stylesheet
    assert set(fetched) == {f"/portal/static/{name}" for name in ASSETS}


@pytest.mark.parametrize(
    "name", ["nope.js", "index.html", "", "%2E%2E/index.html", "..%2Findex.html"]
)
async def test_an_unknown_static_file_is_a_404_problem(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/portal/static/{name}")
    body = assert_problem(response, 404, "not-found")
    assert body["instance"].startswith("/portal/static/")


@pytest.mark.parametrize(
    "reviewer_id",
    ["a%20b", "%2E%2E", ".hidden", "%3Cscript%3E", "x" * 65, "..%2Fx", "rev-001%2Fx", "rev-001/x"],
)
async def test_a_day_view_path_that_is_no_reviewer_id_is_an_unknown_reviewer(
    client: httpx.AsyncClient, reviewer_id: str
) -> None:
    """SPEC §9: a path id that cannot exist is an unknown id (404), like any other."""
    assert_problem(await client.get(f"/portal/reviewers/{reviewer_id}"), 404, "not-found")


#: ``export const ROLES = { code: "Label", … };`` in common.js: the role picker's options
ROLES_BLOCK = re.compile(r"export const ROLES = \{(.*?)\};", re.DOTALL)
ROLE_ENTRY = re.compile(r'(\w+):\s*"([^"]+)"')


async def test_the_role_picker_offers_every_provider_role_of_the_default_policy(
    client: httpx.AsyncClient,
) -> None:
    """Who may hold the call is the policy's list (SPEC §2, §14: the rendering provider too);
    the provider pages' picker must offer each of them, in words."""
    script = (await client.get("/portal/static/common.js")).text
    block = ROLES_BLOCK.search(script)
    assert block is not None
    labels = dict(ROLE_ENTRY.findall(block.group(1)))

    assert list(labels) == list(load_policy(None).provider_roles)
    assert labels["rendering_provider"] == "Rendering provider"


async def test_pages_are_not_part_of_the_api_description(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/v1/reviewers/{reviewer_id}/agenda" in paths  # the API the pages call is there
    assert [path for path in paths if path.startswith("/portal")] == []


async def test_the_vendored_library_ships_with_its_licences(client: httpx.AsyncClient) -> None:
    """oidc-client-ts's browser build (it bundles jwt-decode) is served from this service,
    never a CDN, with both licences beside it."""
    versions = (await client.get("/portal/static/vendor/VERSIONS")).text
    assert "oidc-client-ts 3.5.0" in versions and "jwt-decode 4.0.0" in versions
    for name in ("oidc-client-ts.LICENSE", "jwt-decode.LICENSE"):
        response = await client.get(f"/portal/static/vendor/{name}")
        assert response.status_code == 200, name
        assert "License" in response.text or "LICENSE" in response.text, name
    library = await client.get("/portal/static/vendor/oidc-client-ts.min.js")
    assert "UserManager" in library.text


async def test_the_chart_library_ships_with_its_licences(client: httpx.AsyncClient) -> None:
    """Chart.js's UMD build (it bundles @kurkle/color), for the reports page: from this
    service, never a CDN, with both licences and the pinned version."""
    versions = (await client.get("/portal/static/vendor/VERSIONS")).text
    assert "chart.js 4.6.2 dist/chart.umd.min.js" in versions and "@kurkle/color 0.6.6" in versions
    for name in ("chart.js.LICENSE", "kurkle-color.LICENSE"):
        response = await client.get(f"/portal/static/vendor/{name}")
        assert response.status_code == 200, name
        assert "MIT License" in response.text or "Permission is hereby granted" in response.text
    library = await client.get("/portal/static/vendor/chart.umd.min.js")
    assert library.text.startswith("/*!\n * Chart.js v4.6.2")


async def test_without_an_issuer_the_pages_sign_in_with_keys(client: httpx.AsyncClient) -> None:
    response = await client.get("/portal/config.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert_secured(response)
    assert response.json() == {"oidc": None, "demo": False}


ISSUER = "https://login.example.org:8443/realms/p2p"
STRICT_WITH_ISSUER = SECURITY_HEADERS["content-security-policy"].replace(
    "connect-src 'self';", "connect-src 'self' https://login.example.org:8443;"
)


def pages_app_client(database_url: str, **settings: object) -> httpx.AsyncClient:
    app = create_app(
        load_settings(
            Settings,
            database_url=database_url,
            api_keys=TEST_API_KEYS,
            secret_key="test-secret-key-0123456789",
            **settings,
        )
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_with_an_issuer_the_pages_sign_in_there_and_may_call_its_origin(
    database_url: str,
) -> None:
    """The pages are a public client of the issuer (no secret: Authorization Code with PKCE);
    the client id defaults to the audience. Their policy admits the issuer's origin for the
    browser's calls (discovery, token endpoint) and nothing else changes."""
    async with pages_app_client(database_url, oidc_issuer=ISSUER, oidc_audience="p2p-api") as http:
        config = await http.get("/portal/config.json")
        assert config.json() == {
            "oidc": {"authority": ISSUER, "client_id": "p2p-api", "scope": "openid profile email"},
            "demo": False,
        }
        for path in (*PAGES, "/portal/config.json", "/portal/static/common.js"):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-security-policy"] == STRICT_WITH_ISSUER, path
    async with pages_app_client(
        database_url,
        oidc_issuer=ISSUER,
        oidc_audience="p2p-api",
        oidc_client_id="p2p-pages",
        oidc_scopes="openid profile",
    ) as http:
        oidc = (await http.get("/portal/config.json")).json()["oidc"]
        assert oidc == {"authority": ISSUER, "client_id": "p2p-pages", "scope": "openid profile"}


async def test_the_demo_says_so(database_url: str) -> None:
    async with pages_app_client(
        database_url, demo_token_key=DemoIssuer.generate_key(), base_url="http://testserver"
    ) as http:
        assert (await http.get("/portal/config.json")).json() == {"oidc": None, "demo": True}
