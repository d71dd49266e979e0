"""End to end: the README's first command's server (``serve --demo``) and its curl walk-through."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from p2p_scheduler.tools.demo import WALKTHROUGH_CASE, WALKTHROUGH_CONSULTATIVE_CASE
from tests.e2e.server import SCRIPT, cli_env, free_port, start_server, stop

pytestmark = pytest.mark.e2e


def test_demo_serves_the_walkthrough_and_keeps_data_on_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path, cli_env(), "--demo")
    port = server.base_url.rsplit(":", 1)[1]
    try:
        out = server.output()
        assert "loaded 65 records" in out
        assert re.search(r"portal\s+key: demo-portal-key", out)
        assert f"API docs: http://127.0.0.1:{port}/docs" in out
        assert "try case A100001" in out
        assert WALKTHROUGH_CASE[1].isoformat() not in out  # no date of birth in what is logged
        assert (tmp_path / "p2p_scheduler.db").exists(), "the default SQLite file is in the cwd"

        docs = httpx.get(f"{server.base_url}/docs", timeout=5)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()

        number, dob = WALKTHROUGH_CASE
        answer = httpx.post(
            f"{server.base_url}/v1/eligibility",
            headers={"Authorization": "Bearer demo-portal-key"},
            json={"cases": [{"case_number": number, "member_dob": dob.isoformat()}]},
            timeout=5,
        ).json()
        assert answer["eligible"] is True
        assert answer["cases"][0]["level_of_review"] == "reconsideration"
        assert answer["cases"][0]["messages"][0].startswith("Reconsideration allowed until ")

        number, dob = WALKTHROUGH_CONSULTATIVE_CASE
        answer = httpx.post(
            f"{server.base_url}/v1/eligibility",
            headers={"Authorization": "Bearer demo-portal-key"},
            json={"cases": [{"case_number": number, "member_dob": dob.isoformat()}]},
            timeout=5,
        ).json()
        assert answer["cases"][0]["level_of_review"] == "consultative_only"
        assert answer["cases"][0]["decision_can_change"] is False

        reviewer = httpx.get(
            f"{server.base_url}/v1/reviewers/rev-001",
            headers={"Authorization": "Bearer demo-admin-key"},
            timeout=5,
        )
        assert reviewer.status_code == 200

        # the pages' links sign in one demo person each, with a token in the fragment, which
        # a browser never sends; no shared key is handed to a page (SPEC §10)
        base = f"http://127.0.0.1:{port}"
        assert "#key=" not in out
        printed = re.search(r"^Provider pages \(Demo Clinic\): (\S+)$", out, flags=re.MULTILINE)
        assert printed, out
        url, practice = printed.group(1).split("#token=", 1)
        assert url == f"{base}/portal/"
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        practice_headers = {"Authorization": f"Bearer {practice}"}
        answer = httpx.post(
            f"{server.base_url}/v1/eligibility",
            headers=practice_headers,
            json={"cases": [{"case_number": number, "member_dob": dob.isoformat()}]},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        # the practice's person is no admin
        denied = httpx.get(f"{server.base_url}/v1/audit", headers=practice_headers, timeout=5)
        assert denied.status_code == 403, denied.text
        printed = re.search(r"^Reviewer day view: (\S+)$", out, flags=re.MULTILINE)
        assert printed, out
        url, token = printed.group(1).split("#token=", 1)
        assert url == f"{base}/portal/reviewers/rev-001"
        day_view = httpx.get(url, timeout=5)
        assert day_view.status_code == 200
        assert day_view.headers["content-type"].startswith("text/html")
        # the token printed with it opens that reviewer's week, and only that reviewer's
        headers = {"Authorization": f"Bearer {token}"}
        week = httpx.get(
            f"{server.base_url}/v1/reviewers/rev-001/agenda", headers=headers, timeout=5
        )
        assert week.status_code == 200, week.text
        assert week.json()["reviewer_id"] == "rev-001"
        other = httpx.get(
            f"{server.base_url}/v1/reviewers/rev-002/agenda", headers=headers, timeout=5
        )
        assert other.status_code == 404, other.text
        # the demo issuer's public key is published (only in the demo)
        keys = httpx.get(f"{server.base_url}/demo/jwks.json", timeout=5).json()["keys"]
        assert [(k["kty"], k["alg"]) for k in keys] == [("EC", "ES256")]
        assert "d" not in keys[0]  # never the private half
        config = httpx.get(f"{server.base_url}/portal/config.json", timeout=5).json()
        assert config == {"oidc": None, "demo": True}
    finally:
        stop(server.process)

    # your own keys with --demo need your own secret, and their secrets are never printed
    own = cli_env(P2P_API_KEYS="admin:my-own-admin-key-1")
    refused = subprocess.run(
        [str(SCRIPT), "serve", "--demo", "--port", str(free_port())],
        env=own,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "P2P_SECRET_KEY: is required with your own P2P_API_KEYS" in refused.stderr
    server = start_server(
        tmp_path, {**own, "P2P_SECRET_KEY": "my-own-secret-key-0123456789"}, "--demo"
    )
    try:
        out = server.output()
        assert "my-own-admin-key-1" not in out
        assert "API keys: yours from P2P_API_KEYS (1)" in out
    finally:
        stop(server.process)

    # a second start finds data and leaves it alone
    server = start_server(tmp_path, cli_env(), "--demo")
    try:
        assert "database not empty, left as is" in server.output()
    finally:
        stop(server.process)
