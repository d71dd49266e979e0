"""The ``p2p-scheduler`` command line: serve, migrate, worker, bench.

Start-up problems (a missing or malformed setting, a bad policy file, an unreachable
database) end the process with one line on stderr naming what to fix, never a traceback.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from threading import Event
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from p2p_scheduler import __version__, logs
from p2p_scheduler.config import (
    DEMO_API_KEYS,
    DEMO_SECRET_KEY,
    ConfigurationError,
    DatabaseSettings,
    DeliverySettings,
    ServiceSettings,
    Settings,
    load_settings,
)
from p2p_scheduler.db import migrate as migrations
from p2p_scheduler.db.engine import DatabaseError, Engine, make_engine
from p2p_scheduler.domain.policy import Policy, PolicyError, load_policy
from p2p_scheduler.identity import DemoIssuer
from p2p_scheduler.services import records
from p2p_scheduler.tools.bench import bench_app
from p2p_scheduler.tools.bench_auth import bench_auth
from p2p_scheduler.tools.bench_load import bench_load
from p2p_scheduler.tools.bench_report import bench_report

if TYPE_CHECKING:  # the optimizer brings OR-Tools: loaded only by the commands that run it
    from p2p_scheduler.services.optimizer import RunReport

APP_FACTORY = "api.app:app_from_environment"
#: where ``serve --demo`` writes e-mails when no SMTP server is set (P2P_DEMO_MAILDIR)
DEMO_MAILDIR = "demo-mail"
#: uvicorn's httptools protocol with deadlines for idle connections and request heads
HTTP_PROTOCOL = "api.connections:GuardedHttpToolsProtocol"

app = typer.Typer(
    help="P2P Scheduler: schedules peer-to-peer clinical consultations for prior authorization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: no "<bool>"/"<str>" type column, docstrings reflowed as paragraphs
    rich_markup_mode=None,
)
bench_app.command("load", short_help="The portal mix on PostgreSQL; check for double bookings.")(
    bench_load
)  # in its own module: the portal mix on PostgreSQL
bench_app.command("auth", short_help="Time what verifying an access token adds.")(
    bench_auth
)  # in its own module: a token issuer of its own
bench_app.command("report", short_help="Time the operations report over a year of bookings.")(
    bench_report
)  # in its own module: a year of bookings in bulk
app.add_typer(bench_app, name="bench", short_help="Benchmarks; each prints one JSON object.")


def _fail(message: str) -> NoReturn:
    typer.echo(f"p2p-scheduler: {message}", err=True)
    raise typer.Exit(code=2)


def _port_free_or_fail(host: str, port: int) -> None:
    """Fail before the banner, not after it: links printed for a port another server holds
    would open that other server."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                _fail(f"Port {port} is in use: stop the other server or set --port")
            _fail(f"cannot listen on {host}:{port}: {error.strerror}")


def _database_error(error: DatabaseError, url: str) -> str:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return f"database error: cannot use P2P_DATABASE_URL ({url.split('@')[-1]}): {reason}"


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command(short_help="Apply the database migrations, or downgrade.")
def migrate(
    revision: Annotated[
        str, typer.Option(metavar="REVISION", help="Target revision to upgrade to.")
    ] = "head",
    downgrade: Annotated[
        str | None,
        typer.Option(metavar="REVISION", help="Downgrade to this revision instead (e.g. 'base')."),
    ] = None,
) -> None:
    """Apply the database migrations (P2P_DATABASE_URL) up to head, or downgrade."""
    try:
        settings = load_settings(DatabaseSettings)
    except ConfigurationError as error:
        _fail(str(error))
    engine = make_engine(settings.database_url)
    try:
        if downgrade is not None:
            migrations.downgrade(engine, downgrade)
        else:
            migrations.upgrade(engine, revision)
        state = migrations.status(engine)
    except DatabaseError as error:
        _fail(_database_error(error, settings.database_url))
    typer.echo(f"database at revision {state.current or 'base'} (head {state.head})")


@app.command(short_help="Serve the HTTP API (with --demo: the demo data and keys).")
def serve(
    host: Annotated[
        str, typer.Option(metavar="HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Server processes sharing the port; every guarantee (no double booking, "
            "holds, idempotency) is the database's, so they hold across processes.",
            min=1,
            max=64,
        ),
    ] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the demo data set into an empty database, use demo keys if none are set, "
            "and write e-mails into ./demo-mail/ unless P2P_SMTP_URL is set.",
        ),
    ] = False,
) -> None:
    """Apply migrations, optionally load the demo data, and serve the HTTP API."""
    import uvicorn

    from p2p_scheduler.domain.clock import system_clock
    from p2p_scheduler.tools import demo as demo_data
    from p2p_scheduler.tools.demo_history import HISTORY_DAYS, demo_history

    _port_free_or_fail(host, port)
    # Links in invites and emails must reach this server unless P2P_BASE_URL says otherwise
    # (behind a proxy it must be set to the public address).
    os.environ.setdefault("P2P_BASE_URL", f"http://{_url_host(host)}:{port}")
    own_keys = "P2P_API_KEYS" in os.environ
    if demo and own_keys and not os.environ.get("P2P_SECRET_KEY"):
        # the demo's published secret would let anyone forge feed and manage links (SPEC §9)
        _fail(
            "configuration error: P2P_SECRET_KEY: is required with your own P2P_API_KEYS, "
            "also with --demo (the demo's secret is public)"
        )
    if demo:
        os.environ.setdefault("P2P_API_KEYS", DEMO_API_KEYS)
        os.environ.setdefault("P2P_SECRET_KEY", DEMO_SECRET_KEY)
        # the demo issuer's key, made for this start and shared with every worker process
        os.environ.setdefault("P2P_DEMO_TOKEN_KEY", DemoIssuer.generate_key())
        if not os.environ.get("P2P_SMTP_URL", "").strip():
            # no mail server: the demo's e-mails land in a folder, to be opened by hand
            os.environ.setdefault("P2P_DEMO_MAILDIR", os.path.abspath(DEMO_MAILDIR))
    try:
        settings = load_settings(Settings)
        load_policy(settings.policy_file)
    except (ConfigurationError, PolicyError) as error:
        _fail(str(error))
    engine = make_engine(settings.database_url)
    try:
        migrations.upgrade(engine)
        loaded, history = 0, None
        if demo:
            reviewers = demo_data.demo_reviewers()
            # four months of past P2Ps, so that the reports page has something to show
            history = demo_history(system_clock(), reviewers)
            stored = records.load_if_empty(
                engine=engine,
                reviewers=reviewers,
                cases=demo_data.demo_cases(system_clock()) + history.cases,
                past=history.p2ps,
            )
            loaded = stored - len(history.cases) if stored else 0
    except DatabaseError as error:
        _fail(_database_error(error, settings.database_url))
    base = f"http://{_url_host(host)}:{port}"
    if demo:
        typer.echo(
            f"demo data: {'loaded ' + str(loaded) + ' records' if loaded else 'database not empty, left as is'}"
        )
        if loaded and history is not None:
            typer.echo(
                f"  and {len(history.p2ps)} past P2Ps of the last {HISTORY_DAYS} days "
                "(their cases are H2…; for the reports page)"
            )
        if own_keys:  # your own secrets never go to a terminal or a log (SPEC §9)
            typer.echo(f"  API keys: yours from P2P_API_KEYS ({len(settings.api_keys)})")
        else:
            for key in settings.api_keys:
                typer.echo(f"  {key.role:<8} key: {key.secret.get_secret_value()}")
        # No date of birth here: what a server prints ends up in logs (SPEC §5, no PHI in logs);
        # the README's walk-through gives the fictional member's.
        typer.echo(f"  try case {demo_data.WALKTHROUGH_CASE[0]} (README: Walk-through with curl)")
        # Each page signs in with a short-lived demo token for one demo person (SPEC §10), no
        # shared key. It rides in the URL *fragment*: browsers never send that to the server,
        # so it stays out of access logs; the page moves it into session storage at once.
        tokens = demo_data.demo_tokens(settings, system_clock())
        typer.echo(
            f"Provider pages ({demo_data.DEMO_PRACTICE_NAME}): {base}/portal/#token={tokens.practice}"
        )
        typer.echo(
            f"Reviewer day view: {base}/portal/reviewers/{demo_data.DAY_VIEW_REVIEWER}"
            f"#token={tokens.reviewer}"
        )
        typer.echo(f"Reports (UM leaders): {base}/portal/reports#token={tokens.ops}")
        typer.echo(
            f"  (demo sign-ins, valid for {demo_data.DEMO_TOKEN_HOURS} hours; restart to get new ones)"
        )
    else:
        typer.echo(f"Provider pages: {base}/portal/")
    if settings.smtp_url is None and settings.demo_maildir is not None:
        typer.echo(
            f"E-mails: written to {settings.demo_maildir}{os.sep} as .eml files (no P2P_SMTP_URL)"
        )
    typer.echo(f"API docs: {base}/docs")
    engine.dispose()
    metrics_dir = "PROMETHEUS_MULTIPROC_DIR"
    if workers > 1 and not os.environ.get(metrics_dir):
        # Each process counts its own requests; a scrape of any of them reports the sum.
        os.environ[metrics_dir] = tempfile.mkdtemp(prefix="p2p-metrics-")
    # By import strings, so this package never imports ``api`` (docs/architecture.md: nothing
    # does); the factory and the protocol read the same validated environment again.
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        http=HTTP_PROTOCOL,
        timeout_keep_alive=settings.idle_timeout_seconds,  # type: ignore[arg-type]  # a float works
        host=host,
        port=port,
        log_level=settings.log_level,
        log_config=logs.config(settings.log_level),
        access_log=False,  # the app logs each request itself, without query strings
        proxy_headers=True,
        workers=workers,
    )


@app.command(short_help="Deliver the outbox (e-mails, webhooks) until stopped.")
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
    poll_seconds: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0.05, max=60, help="Pause between passes when idle."),
    ] = 1.0,
) -> None:
    """Deliver the outbox (emails over P2P_SMTP_URL, signed webhooks) until SIGTERM.

    Any number of workers (and serving processes) may share one database: each message is
    leased to one of them at a time. SIGTERM or Ctrl-C finishes the message in hand first.
    """
    import logging.config
    import signal
    import threading
    from datetime import timedelta

    from p2p_scheduler.domain.clock import system_clock
    from p2p_scheduler.services import delivery

    try:
        settings = load_settings(DeliverySettings)
        # The periodic optimizer run books and announces, so it needs the whole service's
        # settings (secret for the links, limits, policy); delivery alone does not.
        service = load_settings(ServiceSettings) if settings.optimizer_interval_seconds else None
        policy = load_policy(service.policy_file) if service else None
    except (ConfigurationError, PolicyError) as error:
        _fail(str(error))
    logging.config.dictConfig(logs.config(settings.log_level))
    transports = delivery.transports_for(
        settings.smtp_url,
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
    )
    if not transports and service is None:
        _fail(
            "nothing to do: set P2P_SMTP_URL and/or P2P_WEBHOOK_SECRET to deliver, "
            "P2P_OPTIMIZER_INTERVAL_SECONDS to run the optimizer"
        )
    engine = make_engine(settings.database_url)
    try:
        if not migrations.status(engine).at_head:
            _fail("the database is not migrated to head; run 'p2p-scheduler migrate'")
    except DatabaseError as error:
        _fail(_database_error(error, settings.database_url))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"worker: delivering {', '.join(sorted(transports)) or 'nothing'}", err=True)
    if settings.webhook_urls:
        # SPEC §12: each case entering the at-risk list is announced once per window, by
        # whichever worker scans first (``at_risk.announce``)
        _announce_at_risk(engine, settings, policy, stop, once=once)
    if service is not None and policy is not None and not once:
        interval = settings.optimizer_interval_seconds
        typer.echo(f"worker: optimizer run every {interval} s", err=True)
        periodic = threading.Thread(
            target=_optimize_periodically,
            args=(engine, service, policy, interval, stop),
            name="optimizer",
            daemon=True,
        )
        periodic.start()
    tuning = delivery.DeliverySettings(
        poll_seconds=poll_seconds, lease=timedelta(seconds=settings.outbox_lease_seconds)
    )
    if once:
        report = delivery.deliver_due(engine, transports, system_clock, tuning, stop)
        typer.echo(f"worker: sent {report.sent}, failed {report.failed}", err=True)
    else:
        delivery.run(engine, transports, system_clock, stop, tuning)
    engine.dispose()


def _announce_at_risk(
    engine: Engine, settings: DeliverySettings, policy: Policy | None, stop: Event, *, once: bool
) -> None:
    """Scan for cases entering the at-risk list: once now (``--once``), or now and every
    ``P2P_AT_RISK_SCAN_SECONDS`` in a thread until ``stop``."""
    import threading

    from p2p_scheduler.domain.clock import system_clock
    from p2p_scheduler.services import at_risk

    try:
        policy = policy or load_policy(settings.policy_file)
    except PolicyError as error:
        _fail(str(error))
    options = {
        "engine": engine,
        "policy": policy,
        "within": settings.at_risk_within,
        "webhook_urls": [str(url) for url in settings.webhook_urls],
    }
    if once:
        count = at_risk.announce(now=system_clock(), **options)  # type: ignore[arg-type]
        typer.echo(f"worker: {count} case(s) entered the at-risk list", err=True)
        return
    typer.echo(
        f"worker: at-risk scan every {settings.at_risk_scan_seconds} s "
        f"(windows closing within {settings.at_risk_within.total_seconds() / 3600:g} h)",
        err=True,
    )
    threading.Thread(
        target=at_risk.run,
        kwargs={
            **options,
            "clock": system_clock,
            "interval_seconds": settings.at_risk_scan_seconds,
            "stop": stop,
        },
        name="at-risk",
        daemon=True,
    ).start()


def _optimize_periodically(
    engine: Engine, settings: ServiceSettings, policy: Policy, interval: float, stop: Event
) -> None:
    """One optimizer run every ``interval`` seconds until ``stop``; a failed run is logged.

    Workers may run this side by side: a request is booked under its row lock, so the second
    run to reach it finds it no longer pending.
    """
    import logging

    log = logging.getLogger("p2p_scheduler.services.optimizer")
    while not stop.wait(interval):
        try:
            report = _run_optimizer(engine, settings, policy, None)
        except Exception:  # keep the worker alive; the next run retries
            log.exception("optimizer run failed")
        else:
            log.info(
                "optimizer run: %s, %d assigned, %d unassigned",
                report.status,
                len(report.assigned),
                len(report.unassigned),
            )


def _run_optimizer(
    engine: Engine, settings: ServiceSettings, policy: Policy, time_limit: float | None
) -> RunReport:
    from p2p_scheduler.domain.clock import system_clock
    from p2p_scheduler.services import optimizer
    from p2p_scheduler.services.booking import Limits
    from p2p_scheduler.services.notifications import Notifier

    return optimizer.run(
        engine=engine,
        policy=policy,
        limits=Limits.from_settings(settings),
        now=system_clock(),
        time_limit_seconds=time_limit or settings.optimizer_time_limit_seconds,
        workers=settings.optimizer_workers,
        announcer=Notifier.from_settings(settings, policy),
    )


@app.command(short_help="Assign every pending P2P request now; print the run as JSON.")
def optimize(
    time_limit: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            min=0.1,
            max=600,
            help="CP-SAT time limit (s); default P2P_OPTIMIZER_TIME_LIMIT_SECONDS.",
        ),
    ] = None,
) -> None:
    """One optimizer run: assign every pending P2P request now; prints the run as JSON.

    Assignments are booked with the same checks as manual bookings and announced through the
    outbox (a running `serve` or `worker` delivers the e-mails and webhooks).
    """
    import json
    from dataclasses import asdict

    try:
        settings = load_settings(ServiceSettings)
        policy = load_policy(settings.policy_file)
    except (ConfigurationError, PolicyError) as error:
        _fail(str(error))
    engine = make_engine(settings.database_url)
    try:
        if not migrations.status(engine).at_head:
            _fail("the database is not migrated to head; run 'p2p-scheduler migrate'")
        report = _run_optimizer(engine, settings, policy, time_limit)
    except DatabaseError as error:
        _fail(_database_error(error, settings.database_url))
    finally:
        engine.dispose()
    typer.echo(json.dumps(asdict(report)))


def _url_host(host: str) -> str:
    if host in {"0.0.0.0", "::"}:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)
