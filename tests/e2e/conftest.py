"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator

import pytest


@pytest.fixture
def one_bench_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Benchmarks create ``p2p_bench_*`` databases server-wide and their tests count them,
    so under several pytest processes (xdist) they take turns: a file lock in the
    session's shared temporary directory."""
    lock_file = tmp_path_factory.getbasetemp().parent / "p2p-bench.lock"
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
