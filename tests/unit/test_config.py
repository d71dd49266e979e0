"""Settings read from the environment: what start-up refuses, with one line naming the
variable."""

from __future__ import annotations

import pytest

from p2p_scheduler.config import ConfigurationError, Settings, load_settings

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
