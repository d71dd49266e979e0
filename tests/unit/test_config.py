"""Settings read from the environment: what start-up refuses, with one line naming the
variable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from p2p_scheduler.config import ConfigurationError, DeliverySettings, Settings, load_settings

BASE = {
    "api_keys": "admin:admin-key-0123456789",
    "secret_key": "a-secret-key-0123456789",
}


def test_an_empty_webhook_secret_counts_as_unset_so_webhook_urls_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="P2P_WEBHOOK_URLS needs P2P_WEBHOOK_SECRET"):
        load_settings(Settings, **BASE, webhook_urls="http://portal/hooks", webhook_secret="")
    settings = load_settings(Settings, **BASE, webhook_secret="  ", smtp_url="")
    assert (settings.webhook_secret, settings.smtp_url) == (None, None)


def test_limits_have_production_defaults_and_zero_turns_the_rate_limit_off() -> None:
    settings = load_settings(Settings, **BASE)
    assert (settings.rate_limit_per_minute, settings.max_body_bytes) == (6000, 1_048_576)
    assert load_settings(Settings, **BASE, rate_limit_per_minute=0).rate_limit_per_minute == 0
    with pytest.raises(ConfigurationError, match="P2P_MAX_BODY_BYTES"):
        load_settings(Settings, **BASE, max_body_bytes=10)


def test_the_rate_limit_is_in_memory_by_default_and_shared_through_a_redis_url() -> None:
    settings = load_settings(Settings, **BASE, rate_limit_storage_url="")
    assert settings.rate_limit_storage_url is None
    assert (settings.failure_budget, settings.rate_limit_key_prefix) == (6000, "p2p")
    # unset, failed sign-ins per address follow the rate limit (SPEC §9); set, their own figure
    assert load_settings(Settings, **BASE, rate_limit_per_minute=100).failure_budget == 100
    assert load_settings(Settings, **BASE, auth_failures_per_minute=60).failure_budget == 60
    assert load_settings(Settings, **BASE, auth_failures_per_minute=0).failure_budget == 0
    shared = load_settings(
        Settings, **BASE, rate_limit_storage_url="redis://:pw@redis:6379/0"
    ).rate_limit_storage_url
    assert shared is not None and shared.get_secret_value() == "redis://:pw@redis:6379/0"


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:6379",
        "redis//127.0.0.1:6379/0",
        "memcached://127.0.0.1:11211",
        "redis://127.0.0.1:notaport/0",
        "redis://:6379/0",
        "redis://127.0.0.1:6379/zero",
        "redis://:secret-pw@127.0.0.1:notaport/0",
    ],
)
def test_a_malformed_storage_url_stops_start_up_naming_the_variable_not_the_password(
    url: str,
) -> None:
    with pytest.raises(ConfigurationError, match="P2P_RATE_LIMIT_STORAGE_URL") as refused:
        load_settings(Settings, **BASE, rate_limit_storage_url=url)
    assert "secret-pw" not in str(refused.value)
    assert "notaport" not in str(refused.value)


def test_slow_and_idle_clients_are_cut_off_by_default_and_the_limits_must_be_positive() -> None:
    settings = load_settings(Settings, **BASE)
    timeouts = (
        settings.idle_timeout_seconds,
        settings.header_timeout_seconds,
        settings.body_timeout_seconds,
    )
    assert timeouts == (5, 10, 10)
    with pytest.raises(ConfigurationError, match="P2P_HEADER_TIMEOUT_SECONDS"):
        load_settings(Settings, **BASE, header_timeout_seconds=0)


def test_reminders_go_a_day_and_an_hour_ahead_by_default_and_empty_turns_them_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    leads = load_settings(Settings, **BASE).reminder_leads
    assert [(lead.iso, lead.words()) for lead in leads] == [
        ("PT24H", "24 hours"),
        ("PT1H", "1 hour"),
    ]
    monkeypatch.setenv("P2P_REMINDER_LEADS", "pt30m, P2D ,PT1H30M")
    leads = load_settings(Settings, **BASE).reminder_leads
    assert [(lead.iso, lead.words()) for lead in leads] == [
        ("P2D", "2 days"),
        ("PT1H30M", "1 hour 30 minutes"),
        ("PT30M", "30 minutes"),
    ]
    monkeypatch.setenv("P2P_REMINDER_LEADS", "")
    assert load_settings(Settings, **BASE).reminder_leads == ()


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("PT24H,tomorrow", "'tomorrow' is not an ISO 8601 duration like PT24H"),
        ("PT1H,PT60M", "PT60M repeats PT1H; list each lead once"),
        ("PT0S", "PT0S is not a positive duration"),
        ("P1M", "P1M counts months or years"),
        ("2026-11-24", "is not an ISO 8601 duration"),
        ("P2Y", "counts months or years"),
    ],
)
def test_a_reminder_lead_that_is_not_a_positive_fixed_duration_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, raw: str, complaint: str
) -> None:
    monkeypatch.setenv("P2P_REMINDER_LEADS", raw)
    with pytest.raises(ConfigurationError, match=f"P2P_REMINDER_LEADS: .*{complaint}"):
        load_settings(Settings, **BASE)


def test_cases_enter_the_at_risk_list_a_day_ahead_by_default_and_the_worker_scans_each_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings(DeliverySettings)
    assert (settings.at_risk_within, settings.at_risk_scan_seconds) == (timedelta(hours=24), 60)
    monkeypatch.setenv("P2P_AT_RISK_WITHIN", "p2d")
    monkeypatch.setenv("P2P_AT_RISK_SCAN_SECONDS", "5")
    settings = load_settings(DeliverySettings)
    assert (settings.at_risk_within, settings.at_risk_scan_seconds) == (timedelta(days=2), 5)
    assert load_settings(Settings, **BASE).at_risk_within == timedelta(days=2)


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("soon", "P2P_AT_RISK_WITHIN: 'soon' is not an ISO 8601 duration"),
        ("P1M", "P2P_AT_RISK_WITHIN: P1M counts months or years"),
        ("P31D", "P2P_AT_RISK_WITHIN: P31D is longer than 30 days (P30D)"),
    ],
)
def test_an_at_risk_lead_that_is_not_a_duration_of_at_most_30_days_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, raw: str, complaint: str
) -> None:
    monkeypatch.setenv("P2P_AT_RISK_WITHIN", raw)
    with pytest.raises(ConfigurationError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        load_settings(DeliverySettings)


def test_a_worker_with_webhook_urls_needs_their_secret() -> None:
    with pytest.raises(ConfigurationError, match="P2P_WEBHOOK_URLS needs P2P_WEBHOOK_SECRET"):
        load_settings(DeliverySettings, webhook_urls="http://portal/hooks")
    settings = load_settings(
        DeliverySettings, webhook_urls="http://portal/a, http://portal/b", webhook_secret="s3cret"
    )
    assert [str(url) for url in settings.webhook_urls] == ["http://portal/a", "http://portal/b"]
