"""Who may call what: one table, every route of the OpenAPI × every kind of caller (SPEC §7,
§9, §10, §12), through the real app on both databases.

``MATRIX`` has a row per (method, path) of ``app.openapi()``: how to make a *valid* request
for that route (so that the answer is about access, never about the body), and the status
each kind of caller gets. A new route without a row fails ``test_the_table_covers_every_route``.

The semantics the table spells out:
- no credentials → 401 (with a ``WWW-Authenticate: Bearer`` challenge);
- a role the route does not admit → 403 (admin is admitted everywhere, a provider token
  wherever a portal is, ``ops`` only reads the audit trail, a booking's history, the
  operations report, the at-risk list and a case's P2P record);
- a booking or agenda outside the caller's scope → 404, the answer an unknown id gets
  (provider org B on org A's booking; a reviewer token on another reviewer's booking or
  agenda); API keys have no scope (a reviewer key keeps a reviewers' desk's reach);
- calendar files (``invite.ics``, a reviewer's ``.ics`` feed) are authorised by the link's
  token alone: an API key or access token is no substitute (the missing ``token`` field is a
  422 naming it, SPEC §9), and the row's ``links`` give the link-token variants; a calendar
  token that fails answers 404, exactly as an unknown id (SPEC §9: no finding ids by guessing);
- a booking's manage link (SPEC §11, the manage page) stands in for a portal key on that
  booking alone: reading it, the times it can move to, a reschedule and a cancel; another
  booking's token is an unknown id (404) and the link of a cancelled booking answers 410;

The world (``world`` fixture): three reviewers (``rev-a`` holds the fixture bookings, ``rev-b``
is "another reviewer", ``rev-c`` is the one admin rows change), a scheduled booking made by
provider org A's token with ``rev-a`` (``main``), a pending request of org A, bookings whose
call is over (for outcomes, so that a reviewer may record them whatever SPEC §9 says about a
call not yet started), and a cancelled booking (SPEC §9: its old manage link answers 410). A
cell that is expected to succeed and changes state gets a fresh booking, case, hold or slot;
a cell expected to be refused shares one, since 401, 403 and 404 are decided before any state
is (a cell wrongly let through still shows as its own mismatch). The optimizer row runs last:
it schedules every pending request, the world's and those of earlier cells.

The table says what SPEC says. Where the code differs, the cell is listed in ``KNOWN_GAPS``
with what the code answers today and why (file:line): the test stays green, warns, and fails
once the code is fixed, asking for the entry's removal.

Time: the world is made at NOW (Monday 2026-11-23 10:00 in New York); then the app's clock
moves to Tuesday 18:00, after the "past" calls (Tuesday 09:00–…), and fresh bookings are
made from Monday 2026-11-30 on. Cases are reconsiderations valid until 2026-12-04.
"""

from __future__ import annotations

import inspect
import itertools
import re
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from p2p_scheduler.config import Settings
from tests.api.helpers import (
    ADMIN,
    NEW_YORK,
    PORTAL,
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    Clock,
    availability_body,
    booking_body,
    case_body,
    contact_body,
    lookup,
    push_case,
    push_reviewer,
    reviewer_body,
    slot_body,
)
from tests.support import ADMIN_KEY, NOW, OPS_KEY, PORTAL_KEY, REVIEWER_KEY, auth
from tests.tokens import ORG_A, ORG_B, TestIssuer, provider, reviewer, role

pytestmark = pytest.mark.anyio

#: the kinds of caller, in the order of the table's columns
CALLERS = (
    "none",  # no Authorization header
    "admin_key",
    "portal_key",
    "reviewer_key",
    "ops_key",
    "admin_token",
    "portal_token",
    "provider_a",  # provider token of ORG_A, the organisation of the fixture bookings
    "provider_b",  # provider token of ORG_B
    "reviewer_own",  # reviewer token of rev-a, who holds the fixture bookings
    "reviewer_other",  # reviewer token of rev-b
    "ops_token",
)
REVIEWER_A, REVIEWER_B, REVIEWER_C = "rev-a", "rev-b", "rev-c"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
NY = ZoneInfo(NEW_YORK)
#: the app's clock while the table runs: Tuesday 2026-11-24 18:00 in New York
LATER = datetime(2026, 11, 24, 18, 0, tzinfo=NY)
#: the "past" calls (outcomes and no-shows) start Tuesday from 09:00, one a quarter hour
PAST_DAY = date(2026, 11, 24)
#: fixed bookings on Wednesday; fresh slots from the Monday after
FIXTURE_DAY = date(2026, 11, 25)
FRESH_DAYS = (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3))


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY).isoformat()


def quarter_hours(day: date) -> Iterator[str]:
    """rev-a's working quarter hours of ``day`` (09:00–16:45 in New York)."""
    for index in range(32):
        yield at(day, 9 + index // 4, 15 * (index % 4))


@dataclass(frozen=True)
class Call:
    """One request: the concrete path, and its JSON body or query."""

    path: str
    json: Any = None
    params: dict[str, str] | None = None


@dataclass
class World:
    """The fixture world: the app, its clock, each caller's headers and the ids rows use."""

    http: httpx.AsyncClient
    clock: Clock
    headers: dict[str, dict[str, str]]
    main: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Any] = field(default_factory=dict)
    rotating: dict[str, Any] = field(default_factory=dict)
    cancelled: dict[str, Any] = field(default_factory=dict)
    #: scheduled bookings no caller may change: what cells expected to be refused aim at
    shared_future: dict[str, Any] = field(default_factory=dict)
    shared_past: dict[str, Any] = field(default_factory=dict)
    shared_hold: str = ""
    #: a launch link of org A's provider that no cell may open (cells that may get fresh ones)
    shared_launch: str = ""
    #: bookings whose call is over, one per cell expected to record an outcome or no-show
    past: dict[str, list[str]] = field(default_factory=dict)
    feed_path: str = ""
    other_feed_token: str = ""
    _cases: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _slots: Iterator[str] = field(
        default_factory=lambda: itertools.chain.from_iterable(map(quarter_hours, FRESH_DAYS))
    )
    _time_off: Iterator[int] = field(default_factory=lambda: itertools.count(0))

    async def new_case(self) -> str:
        number = f"MX-{next(self._cases):04d}"
        await push_case(self.http, number)
        return number

    def new_slot(self) -> str:
        return next(self._slots)

    async def new_booking(self) -> dict[str, Any]:
        """A scheduled booking of ORG_A with rev-a, made by org A's provider token."""
        return await self.book(await self.new_case(), self.new_slot())

    async def book(self, case_number: str, start: str) -> dict[str, Any]:
        response = await self.http.post(
            "/v1/bookings",
            json=booking_body(case_number, REVIEWER_A, start),
            headers=self.headers["provider_a"],
        )
        assert response.status_code == 201, response.text
        made = response.json()
        assert made["provider_org"] == ORG_A
        return made

    async def new_hold(self) -> str:
        response = await self.http.post(
            "/v1/holds",
            json=slot_body(await self.new_case(), REVIEWER_A, self.new_slot()),
            headers=self.headers["provider_a"],
        )
        assert response.status_code == 201, response.text
        return response.json()["hold_id"]

    async def new_launch_link(self) -> str:
        """The id of a launch link made by org A's provider token (SPEC §14)."""
        response = await self.http.post(
            "/v1/launch-links",
            json={"cases": [lookup("MX-SPARE")]},
            headers=self.headers["provider_a"],
        )
        assert response.status_code == 201, response.text
        return urlsplit(response.json()["url"]).fragment.removeprefix("launch=")

    def time_off(self) -> dict[str, str]:
        """A period of rev-c's time off, a different one each call."""
        day = date(2026, 12, 7) + timedelta(days=next(self._time_off))
        return {"start": at(day, 9), "end": at(day, 12), "reason": "conference"}


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _token_of(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token


# ---- how to make a valid request for each route ---------------------------------------------
# ``make(world, fresh)``: ``fresh`` is True for a cell expected to succeed (2xx), which gets
# resources of its own when the request changes state.

Make = Callable[[World, bool], Awaitable[Call]]


def fixed(path: str, json: Any = None, **params: str) -> Make:
    async def make(world: World, fresh: bool) -> Call:
        return Call(path, json, params or None)

    return make


def on_main(suffix: str = "", json: Any = None) -> Make:
    """A request about the fixture booking (reads: no state changes)."""

    async def make(world: World, fresh: bool) -> Call:
        return Call(f"/v1/bookings/{world.main['id']}{suffix}", json)

    return make


async def make_hold(world: World, fresh: bool) -> Call:
    if fresh:
        return Call("/v1/holds", slot_body(await world.new_case(), REVIEWER_A, world.new_slot()))
    return Call("/v1/holds", slot_body("MX-SHARED", REVIEWER_A, at(FIXTURE_DAY, 15)))


async def make_release(world: World, fresh: bool) -> Call:
    return Call(f"/v1/holds/{await world.new_hold() if fresh else world.shared_hold}")


async def make_booking(world: World, fresh: bool) -> Call:
    if fresh:
        body = booking_body(await world.new_case(), REVIEWER_A, world.new_slot())
    else:
        body = booking_body("MX-SHARED", REVIEWER_A, at(FIXTURE_DAY, 15))
    return Call("/v1/bookings", body)


async def make_reschedule(world: World, fresh: bool) -> Call:
    if fresh:
        booking = await world.new_booking()
        return Call(f"/v1/bookings/{booking['id']}/reschedule", {"start": world.new_slot()})
    target = {"start": at(FIXTURE_DAY, 15, 30)}
    return Call(f"/v1/bookings/{world.shared_future['id']}/reschedule", target)


async def make_cancel(world: World, fresh: bool) -> Call:
    booking = await world.new_booking() if fresh else world.shared_future
    return Call(f"/v1/bookings/{booking['id']}/cancel", {"reason_code": "provider_unavailable"})


def make_outcome(action: str, body: dict[str, str]) -> Make:
    """Record an outcome or no-show on a call that is over (a fresh one for each success)."""

    async def make(world: World, fresh: bool) -> Call:
        booking_id = world.past[action].pop() if fresh else world.shared_past["id"]
        return Call(f"/v1/bookings/{booking_id}/{action}", body)

    return make


async def make_rotate_links(world: World, fresh: bool) -> Call:
    # rotating again and again is allowed: one booking serves every cell
    return Call(f"/v1/bookings/{world.rotating['id']}/links/rotate")


async def make_request(world: World, fresh: bool) -> Call:
    case_number = await world.new_case() if fresh else "MX-SHARED"
    return Call(
        "/v1/p2p-requests",
        {
            "cases": [lookup(case_number)],
            "time_zone": NEW_YORK,
            "preferences": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": [9, 10, 11]},
            "contact": contact_body(),
        },
    )


def fhir_parameters(case_number: str, *parameter: dict[str, Any]) -> dict[str, Any]:
    """A FHIR ``Parameters`` body naming ``case_number`` (SPEC §13 operations)."""
    case = {
        "name": "case",
        "part": [
            {"name": "case-number", "valueString": case_number},
            {"name": "member-dob", "valueDate": lookup(case_number)["member_dob"]},
        ],
    }
    return {"resourceType": "Parameters", "parameter": [case, *parameter]}


def fhir_appointment(start: str, *, requester: bool = False) -> dict[str, Any]:
    """A proposed Appointment with rev-a at ``start`` (with the requesting provider)."""
    appointment: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": start,
        "participant": [
            {"actor": {"reference": f"Practitioner/{REVIEWER_A}"}, "status": "needs-action"}
        ],
    }
    if requester:
        contact = contact_body()
        appointment["contained"] = [
            {
                "resourceType": "Practitioner",
                "id": "requester",
                "name": [{"text": contact["provider_name"]}],
                "telecom": [
                    {"system": "phone", "value": contact["phone"]},
                    {"system": "email", "value": contact["email"]},
                ],
            }
        ]
        appointment["participant"].append(
            {
                "actor": {"reference": "#requester"},
                "type": [{"text": contact["provider_role"]}],
                "status": "accepted",
            }
        )
    return appointment


def make_fhir_operation(name: str) -> Make:
    """``$hold`` or ``$book`` of a fresh case and slot (a success) or of the shared one."""

    async def make(world: World, fresh: bool) -> Call:
        if fresh:
            case_number, start = await world.new_case(), world.new_slot()
        else:
            case_number, start = "MX-SHARED", at(FIXTURE_DAY, 15)
        appointment = fhir_appointment(start, requester=name == "book")
        body = fhir_parameters(case_number, {"name": "appt-resource", "resource": appointment})
        return Call(f"/fhir/r4/Appointment/${name}", body)

    return make


async def make_redeem(world: World, fresh: bool) -> Call:
    link_id = await world.new_launch_link() if fresh else world.shared_launch
    return Call("/v1/launch-links/redeem", {"link_id": link_id})


async def make_time_off(world: World, fresh: bool) -> Call:
    return Call(f"/v1/reviewers/{REVIEWER_C}/time-off", world.time_off())


# ---- link-token variants (calendar files and the manage link) --------------------------------
# ``(make, status)``: sent without an Authorization header.

LinkMake = Callable[[World], Call | Awaitable[Call]]


def invite_valid(world: World) -> Call:
    return Call(_path_and_query(world.main["links"]["invite_ics"]))


def invite_garbage(world: World) -> Call:
    return Call(f"/v1/bookings/{world.main['id']}/invite.ics", params={"token": "not-a-token"})


def invite_of_another_booking(world: World) -> Call:
    token = _token_of(world.shared_future["links"]["invite_ics"])
    return Call(f"/v1/bookings/{world.main['id']}/invite.ics", params={"token": token})


def invite_with_feed_token(world: World) -> Call:
    """A token for another purpose (rev-a's feed) on the invite."""
    token = _token_of(world.feed_path)
    return Call(f"/v1/bookings/{world.main['id']}/invite.ics", params={"token": token})


def feed_valid(world: World) -> Call:
    return Call(world.feed_path)


def feed_garbage(world: World) -> Call:
    return Call(f"/v1/calendars/reviewers/{REVIEWER_A}.ics", params={"token": "not-a-token"})


def feed_of_another_reviewer(world: World) -> Call:
    token = world.other_feed_token
    return Call(f"/v1/calendars/reviewers/{REVIEWER_A}.ics", params={"token": token})


def manage_valid(world: World) -> Call:
    return Call(_path_and_query(world.main["links"]["manage"]))


def manage_garbage(world: World) -> Call:
    return Call(f"/v1/bookings/{world.main['id']}", params={"token": "not-a-token"})


def manage_of_another_booking(world: World) -> Call:
    token = _token_of(world.shared_future["links"]["manage"])
    return Call(f"/v1/bookings/{world.main['id']}", params={"token": token})


def manage_after_cancel(world: World) -> Call:
    """SPEC §9: a cancel revokes the manage link for good; the old link answers 410."""
    return Call(_path_and_query(world.cancelled["links"]["manage"]))


def on_link(suffix: str, booking: str, json: Any = None, token_of_booking: str = "") -> LinkMake:
    """``suffix`` of a world booking (``main``, ``cancelled``, …) with a manage token: its
    own, or ``token_of_booking``'s."""

    def make(world: World) -> Call:
        target = getattr(world, booking)
        token = _token_of(getattr(world, token_of_booking or booking)["links"]["manage"] or "")
        return Call(f"/v1/bookings/{target['id']}{suffix}", json, {"token": token})

    return make


def with_garbage_token(suffix: str, json: Any = None) -> LinkMake:
    def make(world: World) -> Call:
        return Call(f"/v1/bookings/{world.main['id']}{suffix}", json, {"token": "not-a-token"})

    return make


async def reschedule_with_link(world: World) -> Call:
    """A fresh booking moved by its own manage link (SPEC §11: the manage page)."""
    booking = await world.new_booking()
    token = _token_of(booking["links"]["manage"])
    return Call(
        f"/v1/bookings/{booking['id']}/reschedule", {"start": world.new_slot()}, {"token": token}
    )


async def cancel_with_link(world: World) -> Call:
    booking = await world.new_booking()
    token = _token_of(booking["links"]["manage"])
    return Call(
        f"/v1/bookings/{booking['id']}/cancel", {"reason_code": "duplicate"}, {"token": token}
    )


def manage_link_rows(suffix: str, json: Any, valid: LinkMake | None = None) -> dict[str, Any]:
    """The manage link on a route that changes or searches for its booking (SPEC §11)."""
    return {
        "manage link": (valid or on_link(suffix, "main", json), 200),
        "garbage token": (with_garbage_token(suffix, json), 404),
        "another booking's manage token": (on_link(suffix, "main", json, "shared_future"), 404),
        "manage link of a cancelled booking": (on_link(suffix, "cancelled", json), 410),
    }


@dataclass(frozen=True)
class Row:
    make: Make
    statuses: tuple[int, ...]
    #: link-token variants: name → (request, status)
    links: dict[str, tuple[LinkMake, int]] = field(default_factory=dict)
    #: run after every other row (the optimizer schedules every pending request)
    last: bool = False

    def __post_init__(self) -> None:
        assert len(self.statuses) == len(CALLERS), self


def row(make: Make, *statuses: int, **options: Any) -> Row:
    return Row(make, statuses, **options)


NOT_ON_LINKS = (422,) * len(CALLERS)
#: a route for portals (admin, portal keys and tokens, provider tokens): the FHIR reviewer reads
FHIR_PORTAL = (401, 200, 200, 403, 403, 200, 200, 200, 200, 403, 403, 403)


def fixed_later(template: str) -> Make:
    """``template`` with the fixture booking's id (``{id}``)."""

    async def make(world: World, fresh: bool) -> Call:
        return Call(template.format(id=world.main["id"]))

    return make  # no link token: a key or access token is no substitute


# fmt: off
#: (method, path) → the request, and the status for each caller, in the order of CALLERS
#: (keys: adm[in], p[o]rt[al], rev[iewer], ops; tokens: the same roles capitalised, pA and pB
#: provider org A and B, rA the reviewer holding the fixture bookings, rB another reviewer)
#                                 ------ keys ------    ------------ tokens ------------
#                           none  adm  prt  rev  ops    Adm  Prt  pA   pB   rA   rB   Ops
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/health"): row(
        fixed("/health"),   200,  200, 200, 200, 200,   200, 200, 200, 200, 200, 200, 200),
    ("GET", "/ready"): row(
        fixed("/ready"),    200,  200, 200, 200, 200,   200, 200, 200, 200, 200, 200, 200),
    ("PUT", "/v1/cases/{case_number}"): row(
        fixed("/v1/cases/MX-SPARE", case_body()),
                            401,  200, 403, 403, 403,   200, 403, 403, 403, 403, 403, 403),
    ("GET", "/v1/cases/at-risk"): row(
        fixed("/v1/cases/at-risk", within="PT48H"),
                            401,  200, 403, 403, 200,   200, 403, 403, 403, 403, 403, 200),
    ("GET", "/v1/cases/{case_number}/p2p-record"): row(
        fixed("/v1/cases/MX-MAIN/p2p-record"),
                            401,  200, 403, 403, 200,   200, 403, 403, 403, 403, 403, 200),
    ("GET", "/v1/cases/{case_number}"): row(
        fixed("/v1/cases/MX-MAIN"),
                            401,  200, 403, 403, 403,   200, 403, 403, 403, 403, 403, 403),
    ("PUT", "/v1/reviewers/{reviewer_id}"): row(
        fixed(f"/v1/reviewers/{REVIEWER_C}", reviewer_body(time_zone=NEW_YORK)),
                            401,  200, 403, 403, 403,   200, 403, 403, 403, 403, 403, 403),
    # a reviewer token reads its own feed URL on its agenda (below), not the admin's profile
    ("GET", "/v1/reviewers/{reviewer_id}"): row(
        fixed(f"/v1/reviewers/{REVIEWER_A}"),
                            401,  200, 403, 403, 403,   200, 403, 403, 403, 403, 403, 403),
    ("POST", "/v1/reviewers/{reviewer_id}/calendar-feed/rotate"): row(
        fixed(f"/v1/reviewers/{REVIEWER_C}/calendar-feed/rotate"),
                            401,  200, 403, 403, 403,   200, 403, 403, 403, 403, 403, 403),
    ("POST", "/v1/reviewers/{reviewer_id}/time-off"): row(
        make_time_off,      401,  201, 403, 403, 403,   201, 403, 403, 403, 403, 403, 403),
    ("POST", "/v1/eligibility"): row(
        fixed("/v1/eligibility", {"cases": [lookup("MX-SPARE")]}),
                            401,  200, 200, 403, 403,   200, 200, 200, 200, 403, 403, 403),
    ("POST", "/v1/launch-links"): row(
        fixed("/v1/launch-links", {"cases": [lookup("MX-SPARE")]}),
                            401,  201, 201, 403, 403,   201, 201, 201, 201, 403, 403, 403),
    # org A's link: another practice's sign-in is told it does not exist (SPEC §14, §10)
    ("POST", "/v1/launch-links/redeem"): row(
        make_redeem,        401,  200, 200, 403, 403,   200, 200, 200, 404, 403, 403, 403),
    ("POST", "/v1/availability"): row(
        fixed("/v1/availability", availability_body("MX-SPARE")),
                            401,  200, 200, 403, 403,   200, 200, 200, 200, 403, 403, 403),
    ("POST", "/v1/bookings/{booking_id}/availability"): row(
        on_main("/availability", {"time_zone": NEW_YORK}),
                            401,  200, 200, 403, 403,   200, 200, 200, 404, 403, 403, 403,
        links=manage_link_rows("/availability", {"time_zone": NEW_YORK})),
    ("POST", "/v1/holds"): row(
        make_hold,          401,  201, 201, 403, 403,   201, 201, 201, 201, 403, 403, 403),
    # SPEC §10 scopes bookings and pending requests; a hold (an unguessable id, minutes
    # long) carries no organisation, so any portal or provider caller may release it
    ("DELETE", "/v1/holds/{hold_id}"): row(
        make_release,       401,  204, 204, 403, 403,   204, 204, 204, 204, 403, 403, 403),
    ("POST", "/v1/bookings"): row(
        make_booking,       401,  201, 201, 403, 403,   201, 201, 201, 201, 403, 403, 403),
    # a scoped caller's list holds only its scope's bookings (test_scoped_reads_show_only_the_scope)
    ("GET", "/v1/bookings"): row(
        fixed("/v1/bookings"),
                            401,  200, 200, 200, 403,   200, 200, 200, 200, 200, 200, 403),
    ("GET", "/v1/bookings/{booking_id}"): row(
        on_main(),          401,  200, 200, 200, 403,   200, 200, 200, 404, 200, 404, 403,
        links={
            "manage link": (manage_valid, 200),
            "garbage token": (manage_garbage, 404),
            "another booking's manage token": (manage_of_another_booking, 404),
            "manage link of a cancelled booking": (manage_after_cancel, 410),
        }),
    ("POST", "/v1/bookings/{booking_id}/reschedule"): row(
        make_reschedule,    401,  200, 200, 403, 403,   200, 200, 200, 404, 403, 403, 403,
        links=manage_link_rows(
            "/reschedule", {"start": at(FIXTURE_DAY, 15, 30)}, reschedule_with_link)),
    ("POST", "/v1/bookings/{booking_id}/cancel"): row(
        make_cancel,        401,  200, 200, 403, 403,   200, 200, 200, 404, 403, 403, 403,
        links=manage_link_rows("/cancel", {"reason_code": "duplicate"}, cancel_with_link)),
    ("POST", "/v1/bookings/{booking_id}/complete"): row(
        make_outcome("complete", {"outcome": "upheld"}),
                            401,  200, 403, 200, 403,   200, 403, 403, 403, 200, 404, 403),
    ("POST", "/v1/bookings/{booking_id}/no-show"): row(
        make_outcome("no-show", {"party": "provider"}),
                            401,  200, 403, 200, 403,   200, 403, 403, 403, 200, 404, 403),
    ("POST", "/v1/bookings/{booking_id}/links/rotate"): row(
        make_rotate_links,  401,  200, 200, 403, 403,   200, 200, 200, 404, 403, 403, 403),
    ("GET", "/v1/bookings/{booking_id}/invite.ics"): row(
        on_main("/invite.ics"), *NOT_ON_LINKS,
        links={
            "invite link": (invite_valid, 200),
            "garbage token": (invite_garbage, 404),
            "another booking's invite token": (invite_of_another_booking, 404),
            "the reviewer's feed token": (invite_with_feed_token, 404),
        }),
    ("GET", "/v1/calendars/reviewers/{reviewer_id}.ics"): row(
        fixed(f"/v1/calendars/reviewers/{REVIEWER_A}.ics"), *NOT_ON_LINKS,
        links={
            "feed link": (feed_valid, 200),
            "garbage token": (feed_garbage, 404),
            "another reviewer's feed token": (feed_of_another_reviewer, 404),
        }),
    ("POST", "/v1/p2p-requests"): row(
        make_request,       401,  201, 201, 403, 403,   201, 201, 201, 201, 403, 403, 403),
    # SPEC §13: the FHIR operations admit whom their /v1 equivalents admit
    ("POST", "/fhir/r4/Appointment/$find"): row(
        fixed("/fhir/r4/Appointment/$find", fhir_parameters(
            "MX-SPARE",
            {"name": "start", "valueDate": "2026-11-30"},
            {"name": "end", "valueDate": "2026-12-01"},
        )),
                            401,  200, 200, 403, 403,   200, 200, 200, 200, 403, 403, 403),
    ("POST", "/fhir/r4/Appointment/$hold"): row(
        make_fhir_operation("hold"),
                            401,  200, 200, 403, 403,   200, 200, 200, 200, 403, 403, 403),
    ("POST", "/fhir/r4/Appointment/$book"): row(
        make_fhir_operation("book"),
                            401,  201, 201, 403, 403,   201, 201, 201, 201, 403, 403, 403),
    ("POST", "/v1/optimizer/runs"): row(
        fixed("/v1/optimizer/runs"),
                            401,  200, 403, 403, 403,   200, 403, 403, 403, 403, 403, 403,
        last=True),
    ("GET", "/v1/bookings/{booking_id}/history"): row(
        on_main("/history"),
                            401,  200, 200, 200, 200,   200, 200, 200, 404, 200, 404, 200),
    ("GET", "/v1/audit"): row(
        fixed("/v1/audit"), 401,  200, 403, 403, 200,   200, 403, 403, 403, 403, 403, 200),
    # SPEC §12: the operations report is for ops and admin
    ("GET", "/v1/reports/p2p"): row(
        fixed("/v1/reports/p2p", **{"from": "2026-11-23", "to": "2026-11-29"}),
                            401,  200, 403, 403, 200,   200, 403, 403, 403, 403, 403, 200),
    # SPEC §13: the FHIR interface; its CapabilityStatement is public (FHIR clients read it first)
    ("GET", "/fhir/r4/metadata"): row(
        fixed("/fhir/r4/metadata"),
                            200,  200, 200, 200, 200,   200, 200, 200, 200, 200, 200, 200),
    # reviewers, their schedules and slots: what a portal shows to pick a time, as
    # POST /v1/availability; Appointments are bookings, read as GET /v1/bookings(/{id}) reads them
    ("GET", "/fhir/r4/Practitioner/{reviewer_id}"): row(
        fixed(f"/fhir/r4/Practitioner/{REVIEWER_A}"), *FHIR_PORTAL),
    ("GET", "/fhir/r4/Practitioner"): row(
        fixed("/fhir/r4/Practitioner", _id=REVIEWER_A), *FHIR_PORTAL),
    ("GET", "/fhir/r4/PractitionerRole/{reviewer_id}"): row(
        fixed(f"/fhir/r4/PractitionerRole/{REVIEWER_A}"), *FHIR_PORTAL),
    ("GET", "/fhir/r4/PractitionerRole"): row(
        fixed("/fhir/r4/PractitionerRole", practitioner=f"Practitioner/{REVIEWER_A}"),
        *FHIR_PORTAL),
    ("GET", "/fhir/r4/Schedule/{reviewer_id}"): row(
        fixed(f"/fhir/r4/Schedule/{REVIEWER_A}"), *FHIR_PORTAL),
    ("GET", "/fhir/r4/Schedule"): row(
        fixed("/fhir/r4/Schedule", actor=f"Practitioner/{REVIEWER_A}"), *FHIR_PORTAL),
    ("GET", "/fhir/r4/Slot"): row(
        fixed(f"/fhir/r4/Slot?schedule=Schedule/{REVIEWER_A}&start=ge{FIXTURE_DAY}"
              f"&start=lt{FIXTURE_DAY + timedelta(days=1)}"), *FHIR_PORTAL),
    ("GET", "/fhir/r4/Appointment/{booking_id}"): row(
        fixed_later("/fhir/r4/Appointment/{id}"),
                            401,  200, 200, 200, 403,   200, 200, 200, 404, 200, 404, 403),
    ("GET", "/fhir/r4/Appointment"): row(
        fixed("/fhir/r4/Appointment"),
                            401,  200, 200, 200, 403,   200, 200, 200, 200, 200, 200, 403),
    ("GET", "/v1/reviewers/{reviewer_id}/agenda"): row(
        fixed(f"/v1/reviewers/{REVIEWER_A}/agenda", week_start="2026-11-23"),
                            401,  200, 403, 200, 403,   200, 403, 403, 403, 200, 404, 403),
}
# fmt: on


def caller_headers(issuer: TestIssuer) -> dict[str, dict[str, str]]:
    tokens = {
        "admin_token": issuer.mint(role("admin")),
        "portal_token": issuer.mint(role("portal")),
        "provider_a": issuer.mint(provider(ORG_A)),
        "provider_b": issuer.mint(provider(ORG_B), kid="ec-1"),
        "reviewer_own": issuer.mint(reviewer(REVIEWER_A)),
        "reviewer_other": issuer.mint(reviewer(REVIEWER_B)),
        "ops_token": issuer.mint(role("ops"), kid="ec-1"),
    }
    keys = {
        "admin_key": ADMIN_KEY,
        "portal_key": PORTAL_KEY,
        "reviewer_key": REVIEWER_KEY,
        "ops_key": OPS_KEY,
    }
    headers = {"none": {}} | {name: auth(secret) for name, secret in (keys | tokens).items()}
    assert set(headers) == set(CALLERS)
    return headers


def _outcome_cells(action: str) -> int:
    statuses = MATRIX[("POST", f"/v1/bookings/{{booking_id}}/{action}")].statuses
    return sum(status < 300 for status in statuses)


@pytest.fixture
async def world(
    token_settings: Settings, engine: Engine, issuer: TestIssuer
) -> AsyncIterator[World]:
    clock = Clock(NOW)
    app = create_app(token_settings, engine=engine, clock=clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        world = World(http=http, clock=clock, headers=caller_headers(issuer))
        for reviewer_id in (REVIEWER_A, REVIEWER_B, REVIEWER_C):
            await push_reviewer(http, reviewer_id)
        for number in ("MX-MAIN", "MX-SPARE", "MX-SHARED"):
            await push_case(http, number)

        # at NOW: calls that will be over once the clock moves, one per cell that records
        # an outcome or a no-show, and one for the cells that are refused
        past = quarter_hours(PAST_DAY)
        for action in ("complete", "no-show"):
            world.past[action] = [
                (await world.book(await world.new_case(), next(past)))["id"]
                for _ in range(_outcome_cells(action))
            ]
        world.shared_past = await world.book(await world.new_case(), next(past))

        world.main = await world.book("MX-MAIN", at(FIXTURE_DAY, 10))
        world.rotating = await world.book(await world.new_case(), at(FIXTURE_DAY, 10, 30))
        world.shared_future = await world.book(await world.new_case(), at(FIXTURE_DAY, 11))
        world.cancelled = await world.book(await world.new_case(), at(FIXTURE_DAY, 11, 30))
        gone = await http.post(
            f"/v1/bookings/{world.cancelled['id']}/cancel",
            json={"reason_code": "scheduled_in_error"},
            headers=world.headers["provider_a"],
        )
        assert gone.status_code == 200, gone.text
        pending = await make_request(world, True)
        made = await http.post(pending.path, json=pending.json, headers=world.headers["provider_a"])
        assert made.status_code == 201, made.text
        world.pending = made.json()
        assert world.pending["status"] == "pending_assignment"
        assert world.pending["provider_org"] == ORG_A

        for reviewer_id in (REVIEWER_A, REVIEWER_B):
            profile = await http.get(f"/v1/reviewers/{reviewer_id}", headers=ADMIN)
            assert profile.status_code == 200, profile.text
            url = profile.json()["calendar_feed_url"]
            if reviewer_id == REVIEWER_A:
                world.feed_path = _path_and_query(url)
            else:
                world.other_feed_token = _token_of(url)

        world.clock.instant = LATER
        world.shared_hold = await world.new_hold()
        world.shared_launch = await world.new_launch_link()
        yield world


def _openapi_routes(app: Any) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_the_table_covers_every_route(settings: Settings, engine: Engine) -> None:
    """Exactly the OpenAPI's routes: a new one needs a row (and its access decided)."""
    app = create_app(settings, engine=engine)
    routes = _openapi_routes(app)
    assert set(MATRIX) - routes == set(), "rows for routes the app does not have"
    assert routes - set(MATRIX) == set(), "routes without a row in MATRIX"


def _problems_of(response: httpx.Response, where: str) -> list[str]:
    """What is wrong with a refusal's shape (401/403/404/410/422 must be problem+json)."""
    wrong: list[str] = []
    if response.request.url.path.startswith("/fhir/"):
        return _outcome_problems_of(response, where)
    if response.headers.get("content-type") != PROBLEM_MEDIA_TYPE:
        wrong.append(f"{where}: content-type {response.headers.get('content-type')!r}")
        return wrong
    body = response.json()
    if not str(body.get("type", "")).startswith(PROBLEM_BASE):
        wrong.append(f"{where}: problem type {body.get('type')!r}")
    if body.get("status") != response.status_code:
        wrong.append(f"{where}: problem status {body.get('status')!r}")
    if not str(body.get("detail", "")).strip():
        wrong.append(f"{where}: no detail")
    if response.status_code == 401 and not response.headers.get("www-authenticate", "").startswith(
        "Bearer"
    ):
        wrong.append(f"{where}: 401 without a 'WWW-Authenticate: Bearer' challenge")
    return wrong


def _outcome_problems_of(response: httpx.Response, where: str) -> list[str]:
    """What is wrong with a FHIR refusal's shape: an OperationOutcome saying why (SPEC §13)."""
    if response.headers.get("content-type") != "application/fhir+json":
        return [f"{where}: content-type {response.headers.get('content-type')!r}"]
    body = response.json()
    wrong: list[str] = []
    if body.get("resourceType") != "OperationOutcome":
        wrong.append(f"{where}: a {body.get('resourceType')!r}, not an OperationOutcome")
    elif not str(body["issue"][0].get("diagnostics", "")).strip():
        wrong.append(f"{where}: no diagnostics")
    if response.status_code == 401 and not response.headers.get("www-authenticate", "").startswith(
        "Bearer"
    ):
        wrong.append(f"{where}: 401 without a 'WWW-Authenticate: Bearer' challenge")
    return wrong


def _in_order() -> list[tuple[tuple[str, str], Row]]:
    return sorted(MATRIX.items(), key=lambda item: item[1].last)


class Verdicts:
    """Collects what differs from the table (or from SPEC), so one run reports every cell.

    A cell in ``KNOWN_GAPS`` must answer the status the code gives today: the test stays
    green and warns, and once the code does what SPEC says it asks for the gap's removal.
    """

    def __init__(self) -> None:
        self.wrong: list[str] = []
        self.gaps: list[str] = []

    def judge(self, where: str, response: httpx.Response, expected: int) -> None:
        got = response.status_code
        gap = KNOWN_GAPS.get(where)
        if gap is None and got != expected:
            detail = f" — {response.text[:200]}" if got >= 400 else ""
            self.wrong.append(f"{where}: {got}, expected {expected}{detail}")
        elif gap is not None and got == expected:
            self.wrong.append(f"{where}: answers {got} as SPEC says now; remove it from KNOWN_GAPS")
        elif gap is not None and got != gap.code:
            self.wrong.append(f"{where}: {got}, expected {expected} (known gap: was {gap.code})")
        elif gap is not None:
            self.gaps.append(f"{where}: {got}, SPEC says {expected} ({gap.why})")
        if got >= 400:
            self.wrong.extend(_problems_of(response, where))

    def check(self) -> None:
        for gap in self.gaps:
            warnings.warn(f"SPEC and code differ: {gap}", stacklevel=2)
        assert not self.wrong, "\n".join(self.wrong)


@dataclass(frozen=True)
class Gap:
    """Where the code does not (yet) do what SPEC says: what it answers instead, and why."""

    code: int
    why: str


KNOWN_GAPS: dict[str, Gap] = {}


async def test_every_caller_on_every_route(world: World) -> None:
    """Each cell of the table: the status, and the shape of every refusal."""
    verdicts = Verdicts()
    for (method, path), expected_row in _in_order():
        for caller, expected in zip(CALLERS, expected_row.statuses, strict=True):
            call = await expected_row.make(world, expected < 300)
            response = await world.http.request(
                method, call.path, json=call.json, params=call.params, headers=world.headers[caller]
            )
            verdicts.judge(f"{method} {path} as {caller}", response, expected)
        for name, (make_link, expected) in expected_row.links.items():
            call = make_link(world)
            if inspect.isawaitable(call):
                call = await call
            response = await world.http.request(
                method, call.path, json=call.json, params=call.params
            )
            verdicts.judge(f"{method} {path} with {name}", response, expected)
    verdicts.check()


async def test_scoped_reads_show_only_the_scope(world: World) -> None:
    """``GET /v1/bookings``: a provider token lists its organisation's bookings and pending
    requests only, a reviewer token the bookings it holds, keys and portal tokens all; no
    filter widens a scope. Reviewers never see the provider's links (SPEC §9)."""
    org_a = {world.main["id"], world.pending["id"], world.shared_future["id"]}

    async def listed(caller: str, **query: str) -> set[str]:
        response = await world.http.get(
            "/v1/bookings", params={"limit": "100", **query}, headers=world.headers[caller]
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        if caller.startswith("reviewer"):
            assert all(item["links"] == {"invite_ics": None, "manage": None} for item in items)
        return {item["id"] for item in items}

    for caller in ("admin_key", "portal_key", "reviewer_key", "admin_token", "portal_token"):
        assert org_a <= await listed(caller), caller
    mine = await listed("provider_a")
    assert org_a <= mine
    assert await listed("provider_b") == set()
    assert world.main["id"] in await listed("reviewer_own")
    assert world.pending["id"] not in await listed("reviewer_own")  # no reviewer yet
    assert await listed("reviewer_other") == set()
    assert await listed("provider_b", provider_org=ORG_A) == set()
    assert await listed("reviewer_other", reviewer_id=REVIEWER_A) == set()
    # a trusted back end may filter by organisation (SPEC §10)
    assert await listed("portal_key", provider_org=ORG_B) == set()
    assert await listed("portal_key", provider_org=ORG_A) == mine

    for caller in ("reviewer_key", "reviewer_own"):
        one = await world.http.get(
            f"/v1/bookings/{world.main['id']}", headers=world.headers[caller]
        )
        assert one.status_code == 200, one.text
        assert one.json()["links"] == {"invite_ics": None, "manage": None}
        assert one.json()["provider_org"] == ORG_A


async def test_a_provider_books_for_its_own_organisation_only(world: World) -> None:
    """SPEC §10: a provider's booking carries the token's organisation; naming another one in
    the body is a 422; a trusted back end may name any."""
    body = booking_body(await world.new_case(), REVIEWER_A, world.new_slot())
    other = await world.http.post(
        "/v1/bookings", json={**body, "provider_org": ORG_B}, headers=world.headers["provider_a"]
    )
    assert other.status_code == 422, other.text
    assert [e["field"] for e in other.json()["errors"]] == ["provider_org"]
    own = await world.http.post(
        "/v1/bookings", json={**body, "provider_org": ORG_A}, headers=world.headers["provider_a"]
    )
    assert own.status_code == 201, own.text
    assert own.json()["provider_org"] == ORG_A
    body = booking_body(await world.new_case(), REVIEWER_A, world.new_slot())
    portal = await world.http.post(
        "/v1/bookings", json={**body, "provider_org": ORG_B}, headers=PORTAL
    )
    assert portal.status_code == 201, portal.text
    assert portal.json()["provider_org"] == ORG_B
    listed = await world.http.get("/v1/bookings", headers=world.headers["provider_b"])
    assert [item["id"] for item in listed.json()["items"]] == [portal.json()["id"]]


@dataclass(frozen=True)
class Probe:
    """A request outside the caller's scope that is also wrong in another way."""

    caller: str
    wrong: str  # what else is wrong with it
    method: str
    url: str
    twin_status: int  # what the caller's twin in scope is told
    json: Any = None
    params: dict[str, str] | None = None
    content_type: str | None = None


TWIN = {"provider_b": "provider_a", "reviewer_other": "reviewer_own"}


async def test_scope_comes_before_every_other_rule(world: World) -> None:
    """SPEC §10: a booking outside the caller's scope is 404 whatever else is wrong with the
    request. Each probe is also wrong in another way, which the caller's twin in scope is
    told (409, 422 or 415), so the 404 is the scope's and not a coincidence."""
    ended = f"/v1/bookings/{world.cancelled['id']}"
    main = f"/v1/bookings/{world.main['id']}"
    agenda = f"/v1/reviewers/{REVIEWER_A}/agenda"
    over, later = "an ended booking", at(FRESH_DAYS[-1], 16)
    org_b, other = "provider_b", "reviewer_other"
    mars = {"time_zone": "Mars/Base"}
    probes = (  # (caller, what else is wrong, method, url, the twin's status, json, params)
        Probe(org_b, over, "POST", f"{ended}/cancel", 409, {"reason_code": "duplicate"}),
        Probe(org_b, over, "POST", f"{ended}/reschedule", 409, {"start": later}),
        Probe(other, over, "POST", f"{ended}/complete", 409, {"outcome": "upheld"}),
        Probe(other, over, "POST", f"{ended}/no-show", 409, {"party": "reviewer"}),
        Probe(
            other, "a Tuesday week_start", "GET", agenda, 422, None, {"week_start": "2026-11-24"}
        ),
        Probe(
            org_b, "reason_code 'bogus'", "POST", f"{main}/cancel", 422, {"reason_code": "bogus"}
        ),
        Probe(org_b, "a text/plain body", "POST", f"{main}/cancel", 415, "x", None, "text/plain"),
        Probe(other, "outcome 'bogus'", "POST", f"{main}/complete", 422, {"outcome": "bogus"}),
        Probe(org_b, "time_zone 'Mars/Base'", "POST", f"{main}/availability", 422, mars),
        Probe(org_b, "limit 0", "GET", f"{main}/history", 422, None, {"limit": "0"}),
    )
    verdicts = Verdicts()
    for probe in probes:
        route = _route_of(probe.method, probe.url)
        for caller, expected in ((probe.caller, 404), (TWIN[probe.caller], probe.twin_status)):
            headers = dict(world.headers[caller])
            request: dict[str, Any] = {"params": probe.params}
            if probe.content_type is not None:
                headers["Content-Type"] = probe.content_type
                request["content"] = str(probe.json).encode()
            else:
                request["json"] = probe.json
            response = await world.http.request(probe.method, probe.url, headers=headers, **request)
            verdicts.judge(
                f"{probe.method} {route} as {caller} with {probe.wrong}", response, expected
            )
    verdicts.check()


def _route_of(method: str, url: str) -> str:
    """The table's path of a concrete ``url``."""
    for route_method, path in MATRIX:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path))
        if route_method == method and re.fullmatch(pattern, url):
            return path
    raise AssertionError(f"no route for {method} {url}")
