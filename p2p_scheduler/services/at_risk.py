"""The at-risk list and its webhook (SPEC §12): open cases whose P2P window closes soon.

A case is at risk when the look-up's own rule (``eligibility.assess``) finds it eligible now,
no active booking or pending request holds it, and its window closes within the period.

The worker announces each case once per window as it enters the list (``announce``): the
``case.window_closing`` webhook goes into the outbox in the same transaction as a row of
``window_alerts`` keyed by (case, window). Of two workers scanning at once, the second's
insert finds the first's row, so it writes nothing; a new determination opens a new window
and so a new row and a new webhook.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from p2p_scheduler.db import case_history, outbox_store, repo
from p2p_scheduler.db.engine import Engine, Session, transaction
from p2p_scheduler.db.outbox_store import Message
from p2p_scheduler.domain.at_risk import AtRiskItem, at_risk, parse_within
from p2p_scheduler.domain.eligibility import assess
from p2p_scheduler.domain.errors import InvalidInput
from p2p_scheduler.domain.policy import Policy

WINDOW_CLOSING = "case.window_closing"

log = logging.getLogger("p2p_scheduler.services.at_risk")


def within_of(text: str) -> timedelta:
    """A caller's ``within``, or a 422 naming it in plain words."""
    try:
        return parse_within(text)
    except ValueError as error:
        raise InvalidInput(
            f"within: {error}. Give how far ahead to look, e.g. PT24H (24 hours) or P3D "
            "(3 days), at most P30D.",
            field="within",
        ) from None


def read(session: Session, *, policy: Policy, now: datetime, within: timedelta) -> list[AtRiskItem]:
    """The at-risk list at ``now``, read in ``session``."""
    statuses = [status for status, levels in policy.status_levels.items() if levels]
    cases = repo.open_cases(session, statuses)
    answers = (assess(case, policy=policy, now=now) for case in cases.values())
    return at_risk(answers, now=now, within=within)


def list_at_risk(
    *, engine: Engine, policy: Policy, now: datetime, within: timedelta
) -> list[AtRiskItem]:
    with transaction(engine) as session:
        return read(session, policy=policy, now=now, within=within)


def item_document(item: AtRiskItem) -> dict[str, Any]:
    """An at-risk item as JSON values: the API's item and the webhook's ``data``."""
    document = asdict(item)
    # as the API writes instants: UTC with a Z
    document["valid_until"] = item.valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return document


def announce(
    *,
    engine: Engine,
    policy: Policy,
    now: datetime,
    within: timedelta,
    webhook_urls: Sequence[str],
) -> int:
    """Write a ``case.window_closing`` webhook for every case and window that entered the
    list and was not announced before, by any process; returns how many cases were announced.
    One transaction: the alerts' rows and their outbox rows commit together or not at all."""
    if not webhook_urls:
        return 0
    announced = 0
    with transaction(engine) as session:
        for item in read(session, policy=policy, now=now, within=within):
            event_id = str(uuid.uuid4())
            if not case_history.claim_window_alert(
                session, item.case_number, item.valid_until, event_id=event_id, now=now
            ):
                continue
            payload = json.dumps(
                {
                    "id": event_id,
                    "type": WINDOW_CLOSING,
                    "created_at": now.isoformat(),
                    "data": item_document(item),
                },
                separators=(",", ":"),
            )
            outbox_store.add(
                session,
                [
                    Message("webhook", event_id, WINDOW_CLOSING, None, url, payload)
                    for url in webhook_urls
                ],
                now=now,
            )
            announced += 1
    return announced


def run(
    *,
    engine: Engine,
    policy: Policy,
    within: timedelta,
    webhook_urls: Sequence[str],
    clock: Callable[[], datetime],
    interval_seconds: float,
    stop: threading.Event,
) -> None:
    """Scan for cases entering the at-risk list at once and then every ``interval_seconds``
    until ``stop``; a failed scan (a database hiccup, a lost race's deadlock) is logged and the
    next one retries. Any number of processes may run this: ``announce`` sends each once."""
    while not stop.is_set():
        try:
            count = announce(
                engine=engine, policy=policy, now=clock(), within=within, webhook_urls=webhook_urls
            )
        except Exception:  # keep the worker alive; the next scan retries
            log.exception("at-risk scan failed")
        else:
            if count:
                log.info("at-risk scan: %d case(s) entered the list", count)
        stop.wait(interval_seconds)
