"""The transactional outbox on SQLite and PostgreSQL: leases, retries, crashes, workers.

Messages are delivered by the real delivery loop to a real SMTP server (aiosmtpd) or to a
recording transport; the clock is a variable, so leases and backoff are stepped through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.engine import transaction
from p2p_scheduler.db.outbox_store import Claimed, Message
from p2p_scheduler.db.tables import OutboxRow
from p2p_scheduler.services import delivery
from tests.e2e.server import smtp_server
from tests.support import email_recipe

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _write(engine: Engine, count: int, channel: str = "email") -> list[str]:
    with transaction(engine) as session:
        outbox_store.add(
            session,
            [
                Message(
                    channel,
                    f"event-{n}",
                    "booking.scheduled",
                    None,
                    f"dr{n}@clinic.example.org" if channel == "email" else "http://hook/",
                    email_recipe(f"dr{n}@clinic.example.org", f"C{n:04d}", written_at=T0),
                )
                for n in range(count)
            ],
            now=T0,
        )
    with transaction(engine) as session:
        return [row.id for row in session.exec(select(OutboxRow)).scalars()]  # type: ignore[attr-defined]


def _rows(engine: Engine) -> dict[str, OutboxRow]:
    with transaction(engine) as session:
        return {row.id: row for row in session.exec(select(OutboxRow)).scalars()}  # type: ignore[attr-defined]


@dataclass
class Recorder:
    sent: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: Claimed, now: datetime) -> None:
        with self.lock:
            self.sent.append(message.id)


@dataclass
class Mailbox:
    refuse_first: int = 0
    received: list[bytes] = field(default_factory=list)
    seen: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.seen <= self.refuse_first:
            return "451 4.3.0 Try again later"
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    with smtp_server(box) as url:
        yield box, url


def test_a_message_written_with_a_change_is_delivered_once_over_smtp(
    engine: Engine, mailbox: tuple[Mailbox, str]
) -> None:
    box, url = mailbox
    [message_id] = _write(engine, 1)
    clock = Clock()
    transports = delivery.transports_for(url, None)

    assert delivery.deliver_due(engine, transports, clock) == delivery.PassReport(sent=1)
    assert delivery.deliver_due(engine, transports, clock) == delivery.PassReport()
    assert len(box.received) == 1
    assert b"Subject: Scheduled: P2P: case C0000 (Pre-decision)" in box.received[0]
    assert b"To: dr0@clinic.example.org" in box.received[0]
    row = _rows(engine)[message_id]
    assert row.sent_at == T0 and row.attempts == 1 and row.locked_until is None


def test_a_rollback_writes_no_message(engine: Engine) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as session:
        outbox_store.add(
            session, [Message("email", "e", "booking.scheduled", None, "a@b.c", "x")], now=T0
        )
        raise RuntimeError("the booking failed")
    assert _rows(engine) == {}


def test_a_worker_that_dies_after_claiming_leaves_the_message_to_the_next(
    engine: Engine, mailbox: tuple[Mailbox, str]
) -> None:
    box, url = mailbox
    [message_id] = _write(engine, 1)
    lease = timedelta(seconds=60)
    # The first worker claims and dies before sending or settling anything.
    claimed = outbox_store.claim(
        engine, now=T0, lease=lease, limit=10, channels=frozenset({"email"})
    )
    assert [c.id for c in claimed] == [message_id]

    clock = Clock()
    transports = delivery.transports_for(url, None)
    settings = delivery.DeliverySettings(lease=lease)
    clock.now = T0 + timedelta(seconds=59)  # still leased: nobody else may take it
    assert delivery.deliver_due(engine, transports, clock, settings) == delivery.PassReport()
    clock.now = T0 + lease  # the lease lapsed: a restarted worker delivers it
    assert delivery.deliver_due(engine, transports, clock, settings) == delivery.PassReport(sent=1)
    assert len(box.received) == 1
    assert _rows(engine)[message_id].attempts == 2


def test_a_failing_smtp_server_is_retried_with_backoff_then_succeeds(
    engine: Engine, mailbox: tuple[Mailbox, str]
) -> None:
    box, url = mailbox
    box.refuse_first = 2
    [message_id] = _write(engine, 1)
    clock = Clock()
    transports = delivery.transports_for(url, None)

    assert delivery.deliver_due(engine, transports, clock).failed == 1
    row = _rows(engine)[message_id]
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert "SMTPDataError" in row.last_error and row.sent_at is None

    clock.now = T0 + timedelta(seconds=29)
    assert delivery.deliver_due(engine, transports, clock) == delivery.PassReport()  # not due
    clock.now = T0 + timedelta(seconds=30)
    assert delivery.deliver_due(engine, transports, clock).failed == 1
    assert _rows(engine)[message_id].next_attempt_at == clock.now + timedelta(seconds=60)

    clock.now += timedelta(seconds=60)
    assert delivery.deliver_due(engine, transports, clock).sent == 1
    row = _rows(engine)[message_id]
    assert (row.attempts, row.sent_at, row.last_error) == (3, clock.now, "")
    assert len(box.received) == 1


def test_giving_up_after_the_last_attempt_keeps_the_row(engine: Engine) -> None:
    [message_id] = _write(engine, 1, channel="webhook")

    class Down:
        def send(self, message: Claimed, now: datetime) -> None:
            raise ConnectionRefusedError("nobody listens")

    clock = Clock()
    settings = delivery.DeliverySettings(backoff=delivery.Backoff(max_attempts=3))
    for _ in range(3):
        assert delivery.deliver_due(engine, {"webhook": Down()}, clock, settings).failed == 1
        clock.now += timedelta(hours=2)
    row = _rows(engine)[message_id]
    assert row.gave_up_at is not None and row.sent_at is None and row.attempts == 3
    assert (
        delivery.deliver_due(engine, {"webhook": Down()}, clock, settings) == delivery.PassReport()
    )
    assert outbox_store.depth(engine) == outbox_store.Depth(0, 1, None)


def test_messages_for_a_channel_nobody_can_send_wait(engine: Engine) -> None:
    _write(engine, 2, channel="webhook")
    recorder = Recorder()
    assert delivery.deliver_due(engine, {"email": recorder}, Clock()) == delivery.PassReport()
    assert outbox_store.depth(engine).pending == 2


def test_two_workers_never_send_one_message_twice(engine: Engine) -> None:
    ids = _write(engine, 60)
    recorder = Recorder()
    clock = Clock()
    settings = delivery.DeliverySettings(batch=5)
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        while delivery.deliver_due(engine, {"email": recorder}, clock, settings).sent:
            pass

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(recorder.sent) == sorted(ids)  # every one, each exactly once


@dataclass
class SlowRecorder(Recorder):
    """A transport that takes ``seconds`` per message (real time)."""

    seconds: float = 0.1

    def send(self, message: Claimed, now: datetime) -> None:
        time.sleep(self.seconds)
        super().send(message, now)


def test_a_batch_slower_than_its_lease_is_not_sent_twice_by_another_worker(
    engine: Engine,
) -> None:
    # Ten messages in one batch, 0.1 s each, under a 0.4 s lease: the batch outlives its
    # lease while a second worker keeps claiming; each send is well inside the lease.
    ids = _write(engine, 10)
    recorder = SlowRecorder()
    settings = delivery.DeliverySettings(batch=10, lease=timedelta(seconds=0.4))
    start = threading.Barrier(2)

    began = time.monotonic()

    def now() -> datetime:  # real time, from the messages' T0
        return T0 + timedelta(seconds=time.monotonic() - began)

    def work() -> None:
        start.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(set(recorder.sent)) < len(ids):
            delivery.deliver_due(engine, {"email": recorder}, now, settings)
            time.sleep(0.02)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(recorder.sent) == sorted(ids)  # every one, each exactly once
    assert all(row.sent_at is not None for row in _rows(engine).values())


def test_a_message_whose_lease_was_taken_over_is_left_to_its_new_holder(
    engine: Engine,
) -> None:
    [message_id] = _write(engine, 1)
    lease = timedelta(seconds=60)
    email = frozenset({"email"})
    [first] = outbox_store.claim(engine, now=T0, lease=lease, limit=1, channels=email)
    later = T0 + lease
    [second] = outbox_store.claim(engine, now=later, lease=lease, limit=1, channels=email)
    assert (first.id, second.id, second.attempts) == (message_id, message_id, 2)
    assert not outbox_store.renew(engine, first, now=later, lease=lease)  # no longer ours
    assert outbox_store.renew(engine, second, now=later, lease=lease)


def test_a_worker_told_to_stop_gives_the_rest_of_its_batch_back_at_once(
    engine: Engine,
) -> None:
    ids = _write(engine, 5)
    stop = threading.Event()

    class StopAfterOne(Recorder):
        def send(self, message: Claimed, now: datetime) -> None:
            super().send(message, now)
            stop.set()  # SIGTERM arrives while the first message is being sent

    recorder = StopAfterOne()
    clock = Clock()
    settings = delivery.DeliverySettings(batch=5, lease=timedelta(seconds=60))
    report = delivery.deliver_due(engine, {"email": recorder}, clock, settings, stop=stop)
    assert report == delivery.PassReport(sent=1)
    rest = {i: row for i, row in _rows(engine).items() if row.sent_at is None}
    assert len(rest) == 4
    assert all(row.locked_until is None and row.attempts == 0 for row in rest.values())
    # another worker takes them now, not a lease later
    other = Recorder()
    assert delivery.deliver_due(engine, {"email": other}, clock, settings).sent == 4
    assert sorted(recorder.sent + other.sent) == sorted(ids)


def test_webhook_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # the receiver's side, computed independently with the standard library
    import hashlib
    import hmac

    expected = hmac.new(b"whsec", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert delivery.webhook_signature(b'{"a":1}', "whsec", 1700000000) == (
        f"t=1700000000,v1={expected}"
    )
