"""Delivering the outbox: SMTP for emails, signed HTTP POSTs for webhooks, with retries.

``deliver_due`` is one pass (claim what is due, send each, settle each); ``run`` repeats it
until told to stop, finishing the message in hand first. ``serve`` runs it in a thread,
``p2p-scheduler worker`` in the foreground; any number of them may share one database.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from p2p_scheduler import metrics
from p2p_scheduler.db import outbox_store
from p2p_scheduler.db.engine import Engine
from p2p_scheduler.db.outbox_store import Claimed
from p2p_scheduler.services import notifications

log = logging.getLogger("p2p_scheduler.services.delivery")


class Transport(Protocol):
    def send(self, message: Claimed, now: datetime) -> None:
        """Deliver or raise; any exception means "try again later"."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``first`` × 2^(attempt − 1), at most ``cap``; give up after
    ``max_attempts`` (the row stays, marked, for an operator to see)."""

    first: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 20

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        if attempts >= self.max_attempts:
            return None
        return now + min(self.cap, self.first * 2 ** (attempts - 1))


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    lease: timedelta = timedelta(seconds=60)
    batch: int = 20
    poll_seconds: float = 1.0
    backoff: Backoff = Backoff()


@dataclass(frozen=True, slots=True)
class PassReport:
    sent: int = 0
    failed: int = 0


def deliver_due(
    engine: Engine,
    transports: Mapping[str, Transport],
    clock: Callable[[], datetime],
    settings: DeliverySettings = DeliverySettings(),
    stop: threading.Event | None = None,
) -> PassReport:
    """Claim one batch of due messages on the channels we can send, and send them."""
    if not transports:
        return PassReport()
    claimed = outbox_store.claim(
        engine,
        now=clock(),
        lease=settings.lease,
        limit=settings.batch,
        channels=frozenset(transports),
    )
    sent = failed = 0
    for position, message in enumerate(claimed):
        if stop is not None and stop.is_set():
            # Shutting down: the rest of the batch goes back now, not when its lease lapses.
            outbox_store.release(engine, claimed[position:])
            break
        # The batch was leased when claimed; a slow batch must not outlive that lease and
        # let another worker send the same message too, so each is renewed just before it
        # is sent, and skipped if it is no longer ours.
        if not outbox_store.renew(engine, message, now=clock(), lease=settings.lease):
            continue
        try:
            transports[message.channel].send(message, clock())
        except Exception as error:  # any failure is retried
            failed += 1
            metrics.DELIVERY_FAILURES.labels(message.channel).inc()
            now = clock()
            retry_at = settings.backoff.retry_at(message.attempts, now)
            # The error names the transport's complaint, never the message (it may hold
            # contact details); recipients of webhooks are URLs, of emails addresses.
            log.warning(
                "outbox: %s %s attempt %d failed: %s%s",
                message.channel,
                message.id,
                message.attempts,
                type(error).__name__,
                "" if retry_at else " (giving up)",
            )
            outbox_store.mark_failed(
                engine, message.id, now=now, retry_at=retry_at, error=_describe(error)
            )
        else:
            sent += 1
            metrics.DELIVERED.labels(message.channel).inc()
            outbox_store.mark_sent(engine, message.id, now=clock())
    return PassReport(sent, failed)


def run(
    engine: Engine,
    transports: Mapping[str, Transport],
    clock: Callable[[], datetime],
    stop: threading.Event,
    settings: DeliverySettings = DeliverySettings(),
) -> None:
    """Deliver until ``stop`` is set; a failing database is logged and retried."""
    while not stop.is_set():
        try:
            report = deliver_due(engine, transports, clock, settings, stop)
        except Exception:  # keep the worker alive through database hiccups
            log.exception("outbox: delivery pass failed")
            report = PassReport()
        if report.sent + report.failed < settings.batch:
            stop.wait(settings.poll_seconds)


def _describe(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:1000]


# ---- transports ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmtpTransport:
    """``smtp://[user:password@]host[:port][?starttls=true]`` or ``smtps://…`` (implicit TLS)."""

    url: str
    timeout: float = 30.0

    def send(self, message: Claimed, now: datetime) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("P2P_SMTP_URL must look like smtp://host:port or smtps://host:port")
        options = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
        email = notifications.render_email(notifications.EmailRecipe.from_json(message.body))
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(
                parts.hostname, parts.port or 465, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=self.timeout)
        with client:
            if parts.scheme == "smtp" and options.get("starttls") in {"1", "true", "yes"}:
                client.starttls(context=context)
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(email, to_addrs=[message.recipient])


@dataclass(frozen=True, slots=True)
class FolderTransport:
    """Write each e-mail as ``<folder>/<UTC time>-<id>.eml``: the demo's mailbox when no SMTP
    server is set (``P2P_DEMO_MAILDIR``), so a first-time user can open the invites in any mail
    program. The same message SMTP would send, written whole (to a temporary name, then
    renamed), so a reader never sees half a file."""

    folder: Path

    def send(self, message: Claimed, now: datetime) -> None:
        email = notifications.render_email(notifications.EmailRecipe.from_json(message.body))
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{now.strftime('%Y%m%dT%H%M%S')}-{message.id}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(email.as_bytes())
        partial.replace(self.folder / name)


def webhook_signature(body: bytes, secret: str, timestamp: int) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (SPEC §9), Stripe's scheme."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True, slots=True)
class WebhookTransport:
    """POST the stored JSON to the row's URL, signed at send time (so ``t`` is fresh on
    every redelivery while the event ``id`` in the body stays the same)."""

    secret: str
    timeout: float = 10.0

    def send(self, message: Claimed, now: datetime) -> None:
        body = message.body.encode()
        response = httpx.post(
            message.recipient,
            content=body,
            headers={
                "Content-Type": "application/json",
                "P2P-Signature": webhook_signature(body, self.secret, int(now.timestamp())),
                "User-Agent": "p2p-scheduler",
            },
            timeout=self.timeout,
            follow_redirects=False,
        )
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"the receiver answered {response.status_code}")


def transports_for(
    smtp_url: str | None, webhook_secret: str | None, mail_folder: Path | None = None
) -> dict[str, Transport]:
    """The channels this process can deliver; others stay in the outbox for one that can.
    E-mails go over SMTP when it is set, else into ``mail_folder`` (the demo's) when that is."""
    found: dict[str, Transport] = {}
    if smtp_url:
        found["email"] = SmtpTransport(smtp_url)
    elif mail_folder is not None:
        found["email"] = FolderTransport(mail_folder)
    if webhook_secret:
        found["webhook"] = WebhookTransport(webhook_secret)
    return found
