"""Constants and small helpers the test modules share."""

from __future__ import annotations

from datetime import UTC, datetime

POSTGRES_ENV = "P2P_TEST_POSTGRES_URL"
ADMIN_KEY = "test-admin-key-0001"
PORTAL_KEY = "test-portal-key-0001"
REVIEWER_KEY = "test-reviewer-key-01"
TEST_API_KEYS = f"admin:{ADMIN_KEY},portal:{PORTAL_KEY},reviewer:{REVIEWER_KEY}"
#: a Monday afternoon in New York, before Thanksgiving 2026
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
