"""Running the real ``p2p-scheduler`` console script for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

SCRIPT = Path(sys.executable).parent / "p2p-scheduler"
# generous: a loaded 2-core machine has taken over 30 s to start `serve --demo` (CI, 2026-12-05)
STARTUP_SECONDS = 90


def cli_env(**settings: str | None) -> dict[str, str]:
    """The test process's environment without any ``P2P_*`` variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("P2P_")}
    env.update({k: v for k, v in settings.items() if v is not None})
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"console script not installed next to the interpreter: {SCRIPT}"
    return subprocess.run(
        [str(SCRIPT), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(handler: object) -> Iterator[str]:
    """A real SMTP server (aiosmtpd) on a free local port whose messages go to ``handler``
    (an object with ``async handle_DATA``); yields its ``smtp://`` URL, stops it afterwards."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    workdir: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"server exited with {server.process.returncode} before answering /health:\n"
                f"{server.output()}",
                pytrace=False,
            )
        try:
            response = httpx.get(f"{server.base_url}/health", timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError as error:
            last_error = error
        time.sleep(0.2)
    pytest.fail(
        f"/health did not answer within {STARTUP_SECONDS} s ({last_error!r}):\n{server.output()}",
        pytrace=False,
    )


def wait_until(what: str, ready: Callable[[], object], seconds: float = 30) -> None:
    """Poll ``ready`` until it is truthy; fail the test naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            pytest.fail("server did not exit within 20 s of SIGTERM")
    return process.returncode


def start_server(workdir: Path, env: dict[str, str], *args: str) -> Server:
    """``p2p-scheduler serve *args`` in ``workdir``, returned once ``/health`` answers."""
    port = free_port()
    log = workdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", workdir, log)
    try:
        wait_until_healthy(server)
    except BaseException:
        # a server that never answered must not outlive the test (CI once left four running)
        process.kill()
        process.wait(timeout=10)
        raise
    return server


def access_lines(server: Server) -> list[dict[str, object]]:
    """The server's access log lines so far (JSON lines of ``p2p_scheduler.access``)."""
    lines = []
    for raw in server.output().splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line.get("logger") == "p2p_scheduler.access":
            lines.append(line)
    return lines
