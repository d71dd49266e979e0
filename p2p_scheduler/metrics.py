"""Prometheus metrics (``GET /metrics``): request latency by route, bookings by outcome,
the outbox's depth and delivery failures, optimizer runs.

The outbox is shared by every process, so its depth is read from the database at scrape
time rather than counted in one process. Under ``serve --workers N`` each uvicorn process
keeps its own counters; ``serve`` then points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
directory and a scrape of any process reports the sum over all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.engine import Engine

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "p2p_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (never the raw path), method and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BOOKINGS = Counter(
    "p2p_bookings_total",
    "Booking requests (POST /v1/bookings) by outcome: booked, or the problem type refusing it.",
    ["outcome"],
)
OPTIMIZER_RUNS = Counter("p2p_optimizer_runs_total", "Optimizer runs by solver status.", ["status"])
OPTIMIZER_ASSIGNED = Counter(
    "p2p_optimizer_assigned_total", "Pending requests the optimizer booked."
)
OPTIMIZER_SECONDS = Histogram(
    "p2p_optimizer_solve_seconds",
    "CP-SAT solve time of an optimizer run.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
)
DELIVERED = Counter("p2p_outbox_delivered_total", "Messages delivered, by channel.", ["channel"])
DELIVERY_FAILURES = Counter(
    "p2p_outbox_delivery_failures_total",
    "Failed delivery attempts (each is retried with backoff), by channel.",
    ["channel"],
)

RATE_LIMITED = Counter(
    "p2p_rate_limited_total",
    "Requests refused with 429, by budget: an API key's, a link's, or an address's failures.",
    ["budget"],
)
RATE_LIMIT_STORAGE_ERRORS = Counter(
    "p2p_rate_limit_storage_errors_total",
    "Requests let through unlimited because the limiter's storage (Redis) did not answer.",
)


class OutboxDepth:
    """Gauges read from the outbox table when scraped (shared by every process)."""

    def __init__(self, engine: Engine, clock: object) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now: datetime = self.clock()  # type: ignore[operator]
        depth = outbox_store.depth(self.engine, now)
        age = (now - depth.oldest_pending_at).total_seconds() if depth.oldest_pending_at else 0
        yield GaugeMetricFamily(
            "p2p_outbox_pending", "Messages waiting to be delivered.", value=depth.pending
        )
        yield GaugeMetricFamily(
            "p2p_outbox_gave_up",
            "Messages given up on after every retry (need a person).",
            value=depth.gave_up,
        )
        yield GaugeMetricFamily(
            "p2p_outbox_oldest_pending_seconds",
            "Age of the oldest undelivered message (0 when none waits).",
            value=max(0.0, age),
        )


def exposition(engine: Engine, clock: object) -> tuple[bytes, str]:
    """The text exposition of every metric, and its content type."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    outbox = CollectorRegistry()
    outbox.register(OutboxDepth(engine, clock))  # type: ignore[arg-type]
    return generate_latest(registry) + generate_latest(outbox), CONTENT_TYPE_LATEST
