"""The README's case walk-through ("From pending to denied to 'P2P overturned'", SPEC §14),
run as written: its shell block, pasted into bash against ``serve --demo``.

The block takes every date and id from the service's answers, so it must work on any day;
this test is what keeps it from rotting.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.server import cli_env, start_server, stop

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = '**From pending to denied to "P2P overturned", with curl**'


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("```sh\n", text.index(HEADING)) + len("```sh\n")
    return text[start : text.index("```\n", start)]


def test_the_readme_walks_a_case_from_pending_to_p2p_overturned(tmp_path: Path) -> None:
    script = walkthrough()
    assert "BASE=http://127.0.0.1:8000" in script
    server = start_server(tmp_path, cli_env(), "--demo")
    try:
        ran = subprocess.run(
            ["bash", "-eu", "-c", script.replace("http://127.0.0.1:8000", server.base_url)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        stop(server.process)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0] == "in_review"
    assert lines[1] == "('pre_decision', None)"
    assert re.fullmatch(
        r"\('scheduled', 'A P2P is already scheduled for this case on \w{3} \d\d/\d\d/\d{4} "
        r"\d{1,2}:\d\d [AP]M C[SD]T\. To change it, reschedule that P2P in My P2P requests\.'\)",
        lines[2],
    ), lines[2]
    assert lines[3:] == [
        "('scheduled', 'Reconsideration P2P', 1, None)",
        "('completed', 'Decision overturned')",
        "('completed', False)",
    ]
    # the README shows the answers it prints
    for line in lines[1:2] + lines[3:]:
        assert f"# → {line}" in script
