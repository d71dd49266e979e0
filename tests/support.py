"""Constants and small helpers the test modules share."""

from __future__ import annotations

from datetime import UTC, datetime

from p2p_scheduler.config import Settings, load_settings

POSTGRES_ENV = "P2P_TEST_POSTGRES_URL"
REDIS_ENV = "P2P_TEST_REDIS_URL"
#: the Redis database the shared rate limit tests use when REDIS_ENV is not set
REDIS_DEFAULT_URL = "redis://127.0.0.1:6379/15"
ADMIN_KEY = "test-admin-key-0001"
PORTAL_KEY = "test-portal-key-0001"
REVIEWER_KEY = "test-reviewer-key-01"
OPS_KEY = "test-ops-key-0001"
TEST_API_KEYS = f"admin:{ADMIN_KEY},portal:{PORTAL_KEY},reviewer:{REVIEWER_KEY},ops:{OPS_KEY}"
#: a Monday afternoon in New York, before Thanksgiving 2026
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def email_recipe(to: str, case_number: str, *, written_at: datetime) -> str:
    """The outbox recipe a scheduled single-case booking writes for one recipient."""
    from datetime import timedelta

    from p2p_scheduler.domain.invites import InviteEvent
    from p2p_scheduler.services.notifications import EmailRecipe

    start = written_at + timedelta(days=1)
    event = InviteEvent(
        booking_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
        sequence=0,
        cancelled=False,
        start=start,
        end=start + timedelta(minutes=15),
        case_numbers=(case_number,),
        levels_of_review=("Pre-decision",),
        provider_name="Dr. Olive Orderly",
        provider_email=to,
        phone="+12155550100",
    )
    return EmailRecipe(
        event=event,
        change="scheduled",
        method="REQUEST",
        to=to,
        time_zone="America/New_York",
        invite_url="http://p2p.example/v1/bookings/x/invite.ics?token=t",
        manage_url="",
        organizer_email="p2p@plan.example.org",
        written_at=written_at,
    ).to_json()


def settings_for_tests(database_url: str, **overrides: object) -> Settings:
    """The app's settings for tests, with ``overrides`` (e.g. webhook URLs and their secret).

    Every test client calls from one address, and tests of refusals (the access matrix,
    guessing ids) send hundreds of bad keys and links from it: the failure budget is out of
    their way here, and the tests of that budget set their own
    (tests/api/test_abuse_ratelimit.py)."""
    fields: dict[str, object] = {
        "database_url": database_url,
        "api_keys": TEST_API_KEYS,
        "secret_key": "test-secret-key-0123456789",
        "base_url": "http://testserver",
        "auth_failures_per_minute": 1_000_000,
    }
    return load_settings(Settings, **{**fields, **overrides})


#: the secret the tests sign webhooks with
WEBHOOK_SECRET = "whsec-test-0123456789"
