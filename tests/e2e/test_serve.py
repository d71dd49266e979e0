"""End to end: the real ``p2p-scheduler`` console script, a real server, real HTTP.

The demo (``serve --demo``) has its own test elsewhere.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import inspect

from p2p_scheduler.db import migrate
from p2p_scheduler.db.engine import make_engine
from tests.e2e.server import Server, cli_env, free_port, run_cli, start_server, stop
from tests.support import auth

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")
ADMIN_KEY = "e2e-admin-key-0001"
PORTAL_KEY = "e2e-portal-key-0001"
API_KEYS = f"admin:{ADMIN_KEY},portal:{PORTAL_KEY}"
SECRET_KEY = "e2e-secret-key-0123456789"
DEFAULT_POLICY = (
    Path(__file__).resolve().parents[2]
    / "p2p_scheduler"
    / "domain"
    / "policy"
    / "default_policy.yaml"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = cli_env(
        P2P_DATABASE_URL=f"sqlite:///{tmp_path / 'e2e.db'}",
        P2P_API_KEYS=API_KEYS,
        P2P_SECRET_KEY=SECRET_KEY,
    )
    running = start_server(tmp_path, env)
    try:
        yield running
    finally:
        stop(running.process)
        print(f"--- server log ({running.log}) ---\n{running.output()}")  # shown when a test fails


def _reviewer_body() -> dict[str, object]:
    return {
        "name": "Alice Example",
        "credentials": "MD",
        "email": "alice@example.org",
        "time_zone": "America/Chicago",
        "skills": {"msk_spine": 1, "pain_management": 2},
        "licensed_states": ["PA", "NJ"],
        "working_hours": [
            {"weekday": day, "start": "09:00", "end": "17:00"}
            for day in ("mon", "tue", "wed", "thu", "fri")
        ],
        "max_consults_per_day": 8,
    }


def _denied_case(determination_at: datetime, date_of_service: date) -> dict[str, object]:
    return {
        "member": {
            "name": "Pat Member",
            "dob": "1970-05-17",
            "state": "PA",
            "member_id": "PA-0001",
            "health_plan": "Keystone Health",
        },
        "line_of_business": "commercial",
        "case_type": "MSK Spine Surgery",
        "skill": "msk_spine",
        "status": "denied",
        "received_at": (determination_at - timedelta(days=3)).isoformat(),
        "determination_at": determination_at.isoformat(),
        "determined_by": "rev-alice",
        "date_of_service": date_of_service.isoformat(),
    }


def _end_of_new_york_day(day: date) -> datetime:
    return datetime.combine(day, clock_time(23, 59, 59), tzinfo=NEW_YORK)


def test_serve_answers_over_http_and_stops_on_sigterm(server: Server) -> None:
    base = server.base_url
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/health").json() == {"status": "ok"}
        ready = http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {
            "status": "ready",
            "database": "sqlite",
            "revision": migrate.head_revision(),
        }
        assert (server.workdir / "e2e.db").is_file()
        assert http.get("/openapi.json").status_code == 200

        # records pushed with the admin key
        put = http.put("/v1/reviewers/rev-alice", json=_reviewer_body(), headers=auth(ADMIN_KEY))
        assert put.status_code == 201, put.text
        assert put.json()["skills"] == {"msk_spine": 1, "pain_management": 2}
        assert (
            http.put(
                "/v1/reviewers/rev-alice", json=_reviewer_body(), headers=auth(ADMIN_KEY)
            ).status_code
            == 200
        )

        # a denial two days ago at a fixed instant (sent at -05:00), PA commercial, no overrides:
        # reconsideration until the end of (determination's New York date + 14 days)
        now = datetime.now(UTC)
        determination = (now - timedelta(days=2)).replace(microsecond=0)
        sent = determination.astimezone(timezone(timedelta(hours=-5)))
        determination_day = determination.astimezone(NEW_YORK).date()
        far_service = determination_day + timedelta(days=60)
        near_service = now.astimezone(NEW_YORK).date() + timedelta(days=3)
        case = http.put(
            "/v1/cases/E2E-1", json=_denied_case(sent, far_service), headers=auth(ADMIN_KEY)
        )
        assert case.status_code == 201, case.text
        assert datetime.fromisoformat(case.json()["determination_at"]) == determination
        # the same, but the date of service comes before the 14 days are up
        capped = http.put(
            "/v1/cases/E2E-2", json=_denied_case(sent, near_service), headers=auth(ADMIN_KEY)
        )
        assert capped.status_code == 201, capped.text

        # the portal key may not push records
        forbidden = http.put(
            "/v1/cases/E2E-3", json=_denied_case(sent, far_service), headers=auth(PORTAL_KEY)
        )
        assert forbidden.status_code == 403
        assert forbidden.headers["content-type"].startswith("application/problem+json")

        answer = http.post(
            "/v1/eligibility",
            json={"cases": [{"case_number": "E2E-1", "member_dob": "1970-05-17"}]},
            headers=auth(PORTAL_KEY),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        expected = _end_of_new_york_day(determination_day + timedelta(days=14))
        assert body["eligible"] is True
        assert body["duration_minutes"] == 15
        (one,) = body["cases"]
        assert one["found"] is True
        assert one["eligible"] is True
        assert one["level_of_review"] == "reconsideration"
        assert one["decision_can_change"] is True
        assert (one["line_of_business"], one["member_state"]) == ("commercial", "PA")
        valid_until = datetime.fromisoformat(one["valid_until"])
        assert valid_until.tzinfo is not None
        assert valid_until == expected
        assert datetime.fromisoformat(body["valid_until"]) == expected
        assert any(m.startswith("Reconsideration allowed until") for m in one["messages"])

        both = http.post(
            "/v1/eligibility",
            json={
                "cases": [
                    {"case_number": "E2E-1", "member_dob": "1970-05-17"},
                    {"case_number": "E2E-2", "member_dob": "1970-05-17"},
                ]
            },
            headers=auth(PORTAL_KEY),
        ).json()
        capped_until = _end_of_new_york_day(near_service)
        assert capped_until < expected
        assert [c["level_of_review"] for c in both["cases"]] == ["reconsideration"] * 2
        assert datetime.fromisoformat(both["cases"][1]["valid_until"]) == capped_until
        assert both["eligible"] is True
        assert datetime.fromisoformat(both["valid_until"]) == capped_until
        assert both["duration_minutes"] == 30

        # a wrong date of birth reveals nothing
        wrong = http.post(
            "/v1/eligibility",
            json={"cases": [{"case_number": "E2E-1", "member_dob": "1970-05-18"}]},
            headers=auth(PORTAL_KEY),
        ).json()
        assert wrong["eligible"] is False
        assert wrong["cases"][0]["found"] is False
        assert wrong["cases"][0]["level_of_review"] is None

        # no key at all
        assert http.post("/v1/eligibility", json={"cases": []}).status_code == 401

    returncode = stop(server.process)
    # uvicorn shuts down gracefully, then re-raises the signal it caught, so the process ends
    # "killed by SIGTERM" (-15) after a clean shutdown; 0 is fine too
    assert returncode in (0, -signal.SIGTERM), server.output()
    assert "Application shutdown complete" in server.output()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=2)


# ---- start-up refusals and the other commands ------------------------------------------------


def _broken_policy(tmp_path: Path) -> Path:
    """The default policy with the reconsideration row's window unit changed to 'weeks'."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    marker = "window: {anchor: determination_at, amount: 14, unit: calendar_days}"
    assert text.count(marker) == 1, "the default policy changed; update this test"
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(marker, marker.replace("calendar_days", "weeks")), "utf-8")
    return path


@pytest.mark.parametrize(
    ("case", "named"),
    [
        ("no-api-keys", ["P2P_API_KEYS"]),
        ("malformed-horizon", ["P2P_MAX_HORIZON_DAYS"]),
        ("short-secret", ["P2P_SECRET_KEY"]),
        ("bad-database-url", ["P2P_DATABASE_URL"]),
        ("broken-policy", ["'reconsideration'", "window.unit"]),
        ("missing-policy-file", ["P2P_POLICY_FILE"]),
    ],
)
def test_serve_refuses_bad_configuration(tmp_path: Path, case: str, named: list[str]) -> None:
    settings: dict[str, str | None] = {
        "P2P_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "P2P_API_KEYS": API_KEYS,
        "P2P_SECRET_KEY": SECRET_KEY,
    }
    match case:
        case "no-api-keys":
            settings["P2P_API_KEYS"] = None
        case "malformed-horizon":
            settings["P2P_MAX_HORIZON_DAYS"] = "abc"
        case "short-secret":
            settings["P2P_SECRET_KEY"] = "too-short"
        case "bad-database-url":
            settings["P2P_DATABASE_URL"] = "mysql://root@localhost/p2p"
        case "broken-policy":
            settings["P2P_POLICY_FILE"] = str(_broken_policy(tmp_path))
        case "missing-policy-file":
            settings["P2P_POLICY_FILE"] = str(tmp_path / "nowhere.yaml")
    result = run_cli(
        "serve", "--port", str(free_port()), env=cli_env(**settings), cwd=tmp_path, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("p2p-scheduler: ")
    for word in named:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "e2e.db").exists(), "a refused start-up must not create the database"


def test_broken_policy_names_row_and_field(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        env=cli_env(
            P2P_API_KEYS=API_KEYS,
            P2P_SECRET_KEY=SECRET_KEY,
            P2P_DATABASE_URL=f"sqlite:///{tmp_path / 'e2e.db'}",
            P2P_POLICY_FILE=str(_broken_policy(tmp_path)),
        ),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "rules[2] (id 'reconsideration') field window.unit" in result.stderr, result.stderr


def test_migrate_up_and_down(database_url: str, tmp_path: Path) -> None:
    env = cli_env(P2P_DATABASE_URL=database_url)
    engine = make_engine(database_url)
    app_tables = {
        "cases",
        "reviewers",
        "reviewer_skills",
        "reviewer_licenses",
        "reviewer_working_hours",
    }
    head = migrate.head_revision()
    try:
        up = run_cli("migrate", env=env, cwd=tmp_path)
        assert up.returncode == 0, up.stderr
        assert f"database at revision {head} (head {head})" in up.stdout
        assert migrate.status(engine).at_head
        assert app_tables <= set(inspect(engine).get_table_names())

        again = run_cli("migrate", env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stderr

        down = run_cli("migrate", "--downgrade", "base", env=env, cwd=tmp_path)
        assert down.returncode == 0, down.stderr
        assert f"database at revision base (head {head})" in down.stdout
        assert migrate.status(engine).current is None
        assert set(inspect(engine).get_table_names()) & app_tables == set()

        up = run_cli("migrate", env=env, cwd=tmp_path)
        assert up.returncode == 0, up.stderr
        assert migrate.status(engine).at_head
    finally:
        migrate.upgrade(engine)  # leave a shared PostgreSQL database as the other tests expect
        engine.dispose()


def test_migrate_defaults_to_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    result = run_cli("migrate", env=cli_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p2p_scheduler.db").is_file()


def test_migrate_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://nobody:secret-password@127.0.0.1:{free_port()}/p2p"
    result = run_cli("migrate", env=cli_env(P2P_DATABASE_URL=url), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "P2P_DATABASE_URL" in lines[0]
    assert "secret-password" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--help"], ["serve", "--help"], ["migrate", "--help"], ["--version"]],
    ids=["help", "serve-help", "migrate-help", "version"],
)
def test_help_and_version(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args, env=cli_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    if args == ["serve", "--help"]:
        for option in ("--host", "--port", "--demo"):
            assert option in result.stdout
    if args == ["migrate", "--help"]:
        assert "--downgrade" in result.stdout
    assert list(tmp_path.iterdir()) == [], "help must not create files"
