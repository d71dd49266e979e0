"""The README cannot rot: every shell block marked ``<!-- runs-in-ci -->`` runs, in order and
as written, in one bash each against one fresh ``serve --demo`` (SQLite, a free port in place
of http://127.0.0.1:8000), must exit 0 and print what the README says it prints.

The blocks take every date and id from the service's answers, so they work on any day; a
block that talks to the demo but is not marked, or a marked one with a date written into it,
fails here too.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.server import cli_env, start_server, stop

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- runs-in-ci -->"
DEMO_URL = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^(?P<marker><!-- runs-in-ci -->\n)?```sh\n(?P<body>.*?)^```$", re.M | re.S)
#: a date or an instant typed into a command (the "# →" comments may show example answers)
WRITTEN_DATE = re.compile(r"\b20\d\d-\d\d-\d\d")


def blocks() -> list[tuple[bool, str]]:
    """Every ```sh block of the README: (marked to run, its text)."""
    text = README.read_text(encoding="utf-8")
    return [(bool(m["marker"]), m["body"]) for m in BLOCK.finditer(text)]


def runnable() -> list[str]:
    return [body for marked, body in blocks() if marked]


def test_every_block_that_talks_to_the_demo_is_marked_to_run() -> None:
    for marked, body in blocks():
        if f"{DEMO_URL}/v1" in body or "BASE=" + DEMO_URL in body:
            assert marked, f"a README block talks to the demo but is not marked {MARKER}:\n{body}"
    assert len(runnable()) >= 5


def test_no_runnable_block_has_a_date_written_into_it() -> None:
    for body in runnable():
        commands = [line for line in body.splitlines() if not line.lstrip().startswith("#")]
        for line in commands:
            code = line.split("  # ", 1)[0]
            assert not WRITTEN_DATE.search(code), f"a written date rots: {line}"


def shown_answers(body: str) -> list[str]:
    """The printed lines the block shows in ``# → …`` comments (up to a ':' remark)."""
    return [m.group(1) for m in re.finditer(r"^# → (\(.*?\)|\S+)(?::|$| \()", body, re.M)]


def test_the_readme_blocks_run_against_serve_demo(tmp_path: Path) -> None:
    server = start_server(tmp_path, cli_env(), "--demo")
    outputs: list[list[str]] = []
    began = time.monotonic()
    try:
        for body in runnable():
            ran = subprocess.run(
                ["bash", "-eu", "-c", body.replace(DEMO_URL, server.base_url)],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=tmp_path,
                check=False,
            )
            assert ran.returncode == 0, (
                f"{body}\n--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}"
            )
            outputs.append(ran.stdout.splitlines())
    finally:
        stop(server.process)
    assert time.monotonic() - began < 60, "the README's blocks should run in under a minute"

    eligibility, workflow, optimizer, lookups, case = outputs
    assert (
        '"eligible":true' in eligibility[0]
        and '"level_of_review":"reconsideration"' in eligibility[0]
    )

    assert workflow == [
        "('1st Priority by Skill', True)",
        "('scheduled', 'A100001')",
        "METHOD:REQUEST",
        "SEQUENCE:0",
        "('scheduled', 1)",
        "('cancelled', 2)",
    ]
    assert optimizer[:3] == ["pending_assignment", "pending_assignment", "('optimal', 2, [])"]
    assert re.fullmatch(
        r"\('scheduled', '20\d\d-\d\d-\d\dT1[345]:\d\d:00-0[56]:00', 'rev-\d{3}'\)", optimizer[3]
    ), optimizer[3]
    assert optimizer[4:] == ["reassigned", "(True, 1)"]

    answers = "\n".join(lookups)  # curl prints no newline: the answers follow each other
    expected = [
        '"found":false',
        '"level_of_review":"consultative_only"',
        '"duration_minutes":30',
        '"calendar_feed_url"',
    ]
    where = [answers.find(part) for part in expected]
    assert -1 not in where and where == sorted(where), answers

    assert case[0] == "in_review"
    assert case[1] == "('pre_decision', None)"
    assert re.fullmatch(
        r"\('scheduled', 'A P2P is already scheduled for this case on \w{3} \d{1,2}/\d{1,2}/\d{4} "
        r"\d{1,2}:\d\d [ap]m C[SD]T\. To change it, reschedule that P2P in My P2P requests\.'\)",
        case[2],
    ), case[2]
    assert case[3:] == [
        "('scheduled', 'Reconsideration P2P', 1, None)",
        "('completed', 'Decision overturned')",
        "('completed', False)",
    ]

    # the README shows what its blocks print (dates and ids aside)
    for body, printed in zip(runnable()[1:], outputs[1:], strict=True):
        for shown in shown_answers(body):
            if "…" not in shown and not WRITTEN_DATE.search(shown):
                assert shown in printed, f"the README shows {shown!r}; the block printed {printed}"
