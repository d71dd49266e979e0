"""Settings from ``P2P_*`` environment variables (SPEC §8).

One settings object for the whole process; a missing or malformed value must stop
start-up with a single line naming the variable, so ``format_settings_error`` turns
pydantic's report into exactly that.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from p2p_scheduler.domain.at_risk import DEFAULT_WITHIN, parse_within
from p2p_scheduler.domain.reminders import Lead, parse_leads

#: roles an API key may have (SPEC §7, §12); a ``provider`` needs an organisation, which only
#: a token carries (SPEC §10)
Role = Literal["admin", "portal", "reviewer", "ops"]
ROLES: tuple[Role, ...] = ("admin", "portal", "reviewer", "ops")

DEMO_API_KEYS = (
    "admin:demo-admin-key,portal:demo-portal-key,reviewer:demo-reviewer-key,ops:demo-ops-key"
)
#: the audience of tokens when ``P2P_OIDC_AUDIENCE`` is not set (the demo's tokens)
DEFAULT_AUDIENCE = "p2p-scheduler"
DEMO_SECRET_KEY = "demo-secret-key-not-for-production-use"


#: the limiter stores ``P2P_RATE_LIMIT_STORAGE_URL`` may name (``limits``' schemes)
STORAGE_SCHEMES = frozenset({"memory", "redis", "rediss", "redis+unix"})


def check_storage_url(url: str) -> None:
    """Refuse a limiter storage URL that could never connect, at start rather than at the
    first request. The message never repeats the URL: it may hold a password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("is not a URL (e.g. redis://127.0.0.1:6379/0)") from None
    if parts.scheme not in STORAGE_SCHEMES:
        raise ValueError(
            f"must start with one of {', '.join(sorted(s + '://' for s in STORAGE_SCHEMES))}"
        )
    if parts.scheme in {"redis", "rediss"}:
        if not parts.hostname:
            raise ValueError("names no host (e.g. redis://127.0.0.1:6379/0)")
        if port == 0 or not re.fullmatch(r"/?\d*", parts.path):
            raise ValueError("needs a port and a database number like redis://host:6379/0")


class ApiKey(BaseModel, frozen=True):
    """One configured key. ``key_id`` names the key in logs and audits; the secret never does."""

    role: Role
    secret: SecretStr
    key_id: str


def parse_api_keys(raw: str) -> tuple[ApiKey, ...]:
    """Parse ``role:key,role:key``; each key must be at least 8 characters and unique."""
    keys: list[ApiKey] = []
    seen: set[str] = set()
    for position, item in enumerate(part.strip() for part in raw.split(",")):
        if not item:
            continue
        role, sep, secret = item.partition(":")
        role = role.strip()
        secret = secret.strip()
        if not sep or not secret:
            raise ValueError(f"entry {position + 1} is not 'role:key'")
        if role not in ROLES:
            raise ValueError(
                f"entry {position + 1} has role {role!r}; use one of {', '.join(ROLES)}"
            )
        if len(secret) < 8:
            raise ValueError(f"entry {position + 1} ({role}) has a key shorter than 8 characters")
        if secret in seen:
            raise ValueError(f"entry {position + 1} ({role}) repeats a key used earlier")
        seen.add(secret)
        keys.append(ApiKey(role=role, secret=SecretStr(secret), key_id=f"{role}-{position + 1}"))
    if not keys:
        raise ValueError(
            "no keys given; expected 'role:key,role:key' with roles admin, portal, reviewer"
        )
    return tuple(keys)


_DB_URL = re.compile(r"^(sqlite|postgresql|postgres)(\+\w+)?://")


class DatabaseSettings(BaseSettings):
    """What ``migrate`` needs: only the database."""

    model_config = SettingsConfigDict(env_prefix="P2P_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///./p2p_scheduler.db"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not _DB_URL.match(value):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value


class AnnouncingSettings(DatabaseSettings):
    """What every process that writes or sends webhooks needs: where they go, how they are
    signed, the policy (the at-risk scan evaluates cases by it) and the at-risk lead."""

    webhook_urls: Annotated[tuple[AnyHttpUrl, ...], NoDecode] = ()
    webhook_secret: SecretStr | None = None
    policy_file: Path | None = None
    #: a case enters the at-risk list (and its ``case.window_closing`` webhook goes out) this
    #: long before its P2P window closes (SPEC §12); an ISO 8601 duration of at most P30D
    at_risk_within: timedelta = parse_within(DEFAULT_WITHIN)
    #: seconds between a worker's scans for cases entering the at-risk list
    at_risk_scan_seconds: int = Field(60, ge=1, le=3600)

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        # ``P2P_WEBHOOK_SECRET=`` (as an env file leaves it) means "not set", not a secret
        # of no characters: webhooks signed with it could never be verified.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("at_risk_within", mode="before")
    @classmethod
    def _parse_within(cls, value: object) -> object:
        return parse_within(value) if isinstance(value, str) else value

    @field_validator("policy_file")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> AnnouncingSettings:
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError(
                "P2P_WEBHOOK_URLS needs P2P_WEBHOOK_SECRET: every webhook is signed with it"
            )
        return self


class DeliverySettings(AnnouncingSettings):
    """What ``p2p-scheduler worker`` needs: the database, the two ways out, and for the
    at-risk webhooks (SPEC §12) the webhooks' URLs and the policy."""

    smtp_url: str | None = None
    #: how long a claimed message stays with its worker before another may take it over
    outbox_lease_seconds: int = Field(60, ge=1, le=3600)
    #: seconds between the worker's optimizer runs; 0: the worker runs none
    optimizer_interval_seconds: int = Field(0, ge=0, le=86400)
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class ServiceSettings(AnnouncingSettings):
    """Every knob but the API keys: what a command that serves no HTTP (``optimize``) needs.
    Defaults are SPEC §8/§9's."""

    secret_key: SecretStr
    base_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    smtp_url: str | None = None
    #: without P2P_SMTP_URL, e-mails are written into this folder as .eml files (``serve
    #: --demo`` sets ./demo-mail), so the demo's invites can be read without a mail server
    demo_maildir: Path | None = None
    organizer_email: str = "p2p-scheduler@localhost"
    max_horizon_days: int = Field(30, ge=1, le=365)
    hold_minutes: int = Field(5, ge=1, le=60)
    min_notice_minutes: int = Field(120, ge=0, le=10080)
    buffer_minutes: int = Field(0, ge=0, le=240)
    no_show_rebooks: int = Field(1, ge=0, le=10)
    #: the most slots one availability answer lists; at least a reviewer's whole day (96)
    availability_max_slots: int = Field(2000, ge=96, le=100_000)
    #: ``serve`` delivers the outbox itself; turn off when separate workers do it.
    deliver_in_process: bool = True
    optimizer_time_limit_seconds: float = Field(10.0, gt=0, le=600)
    optimizer_workers: int = Field(2, ge=1, le=64)
    outbox_lease_seconds: int = Field(60, ge=1, le=3600)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: how long before each call its reminders go out (SPEC §11), longest first; empty: none
    reminder_leads: Annotated[tuple[Lead, ...], NoDecode] = parse_leads("PT24H,PT1H")

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("reminder_leads", mode="before")
    @classmethod
    def _parse_leads(cls, value: object) -> object:
        return parse_leads(value) if isinstance(value, str) else value

    @field_validator("smtp_url", "demo_maildir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def public_base_url(self) -> str:
        """``P2P_BASE_URL`` without a trailing slash, for building absolute links."""
        return str(self.base_url).rstrip("/")


class Settings(ServiceSettings):
    """The HTTP service's settings: everything, and the API keys."""

    api_keys: Annotated[tuple[ApiKey, ...], NoDecode]
    #: Requests per minute per API key, and per link for link-token requests (a moving
    #: window); 0: no limit.
    rate_limit_per_minute: int = Field(6000, ge=0, le=1_000_000)
    #: Failed sign-ins (401) and failing link tokens per minute per client address; past it,
    #: the address is refused (429) before any key is checked. 0: not counted. Unset: the
    #: rate limit's own figure (SPEC §9 counts them under P2P_RATE_LIMIT_PER_MINUTE), so a
    #: client that tests wrong keys on purpose is not locked out by a tighter default.
    auth_failures_per_minute: int | None = Field(None, ge=0, le=1_000_000)
    #: Where the counts live: unset, each serving process counts alone (in memory); a
    #: ``redis://host:6379/0`` URL shares them between every process of a deployment.
    rate_limit_storage_url: SecretStr | None = None
    #: The prefix of the limiter's Redis keys, so that one Redis may serve several deployments.
    rate_limit_key_prefix: str = Field("p2p", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    #: Largest request body accepted (413 beyond it).
    max_body_bytes: int = Field(1_048_576, ge=1024, le=100 * 1_048_576)
    #: Slow and idle clients are cut off (SPEC §9), so that they cannot hold connections: a
    #: connection that sends no byte this long after it opened or after its last answer is
    #: closed;
    idle_timeout_seconds: float = Field(5, gt=0, le=600)
    #: a request head (request line and headers) not complete this long after its first
    #: byte gets a 408 and the connection is closed;
    header_timeout_seconds: float = Field(10, gt=0, le=600)
    #: and so does a request body not complete this long after its head.
    body_timeout_seconds: float = Field(10, gt=0, le=600)

    #: OpenID Connect (SPEC §10): the issuer whose access tokens are accepted (exactly its
    #: ``iss``), the audience they must name, and where its keys are (default: discovered).
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: AnyHttpUrl | None = None
    #: the reference pages' public client (Authorization Code + PKCE) and the scopes they ask
    #: for; the client id defaults to the audience
    oidc_client_id: str | None = None
    oidc_scopes: str = "openid profile email"
    #: set by ``serve --demo`` only: the demo issuer's signing key (PEM), shared by workers
    demo_token_key: SecretStr | None = None

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        return parse_api_keys(value) if isinstance(value, str) else value

    @field_validator(
        "oidc_issuer",
        "oidc_audience",
        "oidc_jwks_url",
        "oidc_client_id",
        "demo_token_key",
        "rate_limit_storage_url",
        mode="before",
    )
    @classmethod
    def _blank_means_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _storage_is_redis(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_storage_url(value.get_secret_value())
        return value

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer_is_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be the issuer's URL, exactly as its tokens' 'iss' claim says")
        return value

    @model_validator(mode="after")
    def _issuer_needs_audience(self) -> Settings:
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError(
                "P2P_OIDC_AUDIENCE is required with P2P_OIDC_ISSUER (the 'aud' tokens must carry)"
            )
        return self

    @property
    def failure_budget(self) -> int:
        """Failed sign-ins and bad link tokens a minute per client address (0: not counted)."""
        if self.auth_failures_per_minute is None:
            return self.rate_limit_per_minute
        return self.auth_failures_per_minute

    @property
    def token_audience(self) -> str:
        return self.oidc_audience or DEFAULT_AUDIENCE

    @property
    def demo_issuer_url(self) -> str:
        """The demo issuer's ``iss``: this service's own ``/demo``."""
        return self.public_base_url + "/demo"


S = TypeVar("S", bound=DatabaseSettings)


class ConfigurationError(Exception):
    """Start-up cannot go on; the message is one line naming the setting."""


def format_settings_error(error: ValidationError) -> str:
    """One line per failing setting: ``P2P_NAME: what is wrong``."""
    lines = []
    for item in error.errors():
        name = "P2P_" + str(item["loc"][0]).upper() if item["loc"] else "P2P_*"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but not set"
        lines.append(f"{name}: {message}")
    return "; ".join(lines)


def load_settings(kind: type[S] = Settings, **overrides: object) -> S:  # type: ignore[assignment]
    """Read settings from the environment, raising ``ConfigurationError`` with one clear line."""
    try:
        return kind(**overrides)
    except ValidationError as error:
        raise ConfigurationError("configuration error: " + format_settings_error(error)) from None
