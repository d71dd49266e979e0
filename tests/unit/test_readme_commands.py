"""The README's first command leaves ``p2p-scheduler`` in ``.venv/bin/``, not on the reader's
``PATH`` (``scripts/demo`` does not activate the environment): the README says so where the
reader first needs it, and every command it shows is one the reader can paste (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
#: a shell command the reader would paste: the line of a ```sh block, comments aside
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.M | re.S)
#: ``p2p-scheduler`` run as a command (start of a line or after ``;``, ``&&``, ``|``, ``$(``),
#: not ``.venv/bin/p2p-scheduler`` and not the Compose service's own command
BARE_COMMAND = re.compile(r"(?:^|[;&|]\s*|\$\(\s*)p2p-scheduler\b")


def section(title: str) -> str:
    """The README's ``## title`` section, up to the next ``## `` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_command_1_says_the_commands_are_in_the_virtual_environment() -> None:
    first = section("Two commands")
    after_demo = first[first.index("scripts/demo") :]
    assert "**The commands are in `.venv/bin/`**" in after_demo
    assert "`p2p-scheduler` is not on your `PATH`" in after_demo
    assert "Call `.venv/bin/p2p-scheduler`" in after_demo
    assert "source .venv/bin/activate" in after_demo


def test_no_shell_block_runs_a_command_that_is_not_on_the_path() -> None:
    text = README.read_text(encoding="utf-8")
    pasted = [
        line
        for block in SH_BLOCK.findall(text)
        for line in block.splitlines()
        if not line.lstrip().startswith("#")
    ]
    assert pasted, "the README has shell blocks"
    bare = [line for line in pasted if BARE_COMMAND.search(line.strip())]
    assert not bare, f"not on PATH after scripts/demo; write .venv/bin/p2p-scheduler: {bare}"
