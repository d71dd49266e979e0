"""``serve`` (and so ``scripts/demo``) on a port another server holds fails first, in plain
words, instead of printing sign-in links that would open the other server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.server import cli_env, run_cli

pytestmark = pytest.mark.e2e


def test_serve_on_a_busy_port_fails_before_printing_links(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        ran = run_cli(
            "serve", "--demo", "--host", "127.0.0.1", "--port", str(port),
            env=cli_env(), cwd=tmp_path, timeout=60,
        )  # fmt: skip
    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        f"p2p-scheduler: Port {port} is in use: stop the other server or set --port"
    )
    assert "portal" not in ran.stdout and "#token=" not in ran.stdout
    assert not (tmp_path / "p2p_scheduler.db").exists(), (
        "nothing is set up for a server that cannot start"
    )
