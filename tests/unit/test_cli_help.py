"""``p2p-scheduler … --help`` reads as plain text: option values named (``--port PORT``), no
``<bool>``/``<str>`` type column, no reStructuredText quotes, no command summary cut off."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from p2p_scheduler.cli import app

COMMANDS = [
    [],
    ["serve"],
    ["migrate"],
    ["worker"],
    ["optimize"],
    ["bench"],
    ["bench", "availability"],
    ["bench", "feed"],
    ["bench", "booking"],
    ["bench", "optimizer"],
    ["bench", "load"],
    ["bench", "auth"],
    ["bench", "report"],
]


def help_text(args: list[str]) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args) or "root")
def test_help_reads_as_plain_text(args: list[str]) -> None:
    text = help_text(args)
    assert not re.search(r"<(bool|str|int|float)[^>]*>", text), text
    assert "``" not in text, text
    assert "..." not in text.replace("[ARGS]...", ""), text  # no summary cut off mid-sentence
    assert not re.search(r"[╭│╰]", text), text  # no box drawing: it copies badly
    for line in text.splitlines():
        assert len(line) <= 80, line


def test_serve_help_names_its_values_and_the_demo_mail_folder() -> None:
    text = help_text(["serve"])
    assert "--host HOST" in text and "--port PORT" in text and "--workers N" in text
    assert "./demo-mail/" in text
    root = help_text([])
    assert "serve     Serve the HTTP API (with --demo: the demo data and keys)." in root
