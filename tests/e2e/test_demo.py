"""End to end: the README's first command's server (``serve --demo``) and its curl walk-through."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from p2p_scheduler.demo import WALKTHROUGH_CASE, WALKTHROUGH_CONSULTATIVE_CASE
from tests.e2e.server import cli_env, start_server, stop

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
    finally:
        stop(server.process)

    # a second start finds data and leaves it alone
    server = start_server(tmp_path, cli_env(), "--demo")
    try:
        assert "database not empty, left as is" in server.output()
    finally:
        stop(server.process)
