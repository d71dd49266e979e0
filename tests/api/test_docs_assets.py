"""``/docs`` and ``/redoc`` work without internet: every script, style sheet and icon they
reference is served by the service itself (no CDN), and each of them loads."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.anyio

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_reference_only_local_assets_that_load(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert "cdn" not in response.text.lower() and "https://" not in response.text
    assert "'/openapi.json'" in response.text or 'spec-url="/openapi.json"' in response.text
    found = references(response.text)
    assets = [url for url in found if url != "/openapi.json"]
    assert any(url.endswith(".js") for url in assets), found
    for url in assets:
        assert url.startswith("/docs/static/"), f"{page} loads {url} from elsewhere"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0, url


async def test_swagger_ui_assets_have_their_types(client: httpx.AsyncClient) -> None:
    script = await client.get("/docs/static/swagger-ui-bundle.js")
    assert script.headers["content-type"].split(";")[0] in {
        "text/javascript",
        "application/javascript",
    }
    assert "SwaggerUIBundle" in script.text
    style = await client.get("/docs/static/swagger-ui.css")
    assert style.headers["content-type"].startswith("text/css")
