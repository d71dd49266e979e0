"""Launch links (SPEC §14): make one for cases an EHR or portal back end already knows, and
open it once, answering the look-up of those cases as the eligibility endpoint would.

Who may open a link: it is opened by a signed-in caller of the provider pages, and the link
is only half of it. A link made for a provider organisation (by that organisation's sign-in,
or by a trusted back end naming it) opens only for that organisation or a trusted back end;
any other caller gets the answer an unknown link gets, and the link stays unused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from p2p_scheduler.db import launch_links_store as store
from p2p_scheduler.db.engine import Engine, transaction
from p2p_scheduler.domain.access import Scope
from p2p_scheduler.domain.eligibility import RequestEligibility, with_booked_cases
from p2p_scheduler.domain.errors import LinkExpired, LinkUsed, NotFound
from p2p_scheduler.domain.launch_links import (
    ID_BYTES,
    LIFETIME,
    LaunchContent,
    StoredLaunchLink,
    digest_of,
    seal,
    unseal,
    well_formed,
)
from p2p_scheduler.domain.policy import Policy
from p2p_scheduler.services import p2p_record
from p2p_scheduler.services.lookup import evaluate_lookups

UNKNOWN = (
    "This link is not known. Launch links work once, for 15 minutes after your EHR made them: "
    "ask your EHR to open a new link, or look the case up here."
)
USED = (
    "This link was already used. Look the case up again in the P2P tool, or ask your EHR to "
    "open a new link."
)
EXPIRED = (
    "This link has expired: launch links work for 15 minutes. Look the case up in the P2P "
    "tool, or ask your EHR to open a new link."
)


@dataclass(frozen=True, slots=True)
class Created:
    #: the secret: it goes into the URL handed back and nowhere else
    link_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Opened:
    content: LaunchContent
    eligibility: RequestEligibility


def create(
    *,
    engine: Engine,
    policy: Policy,
    now: datetime,
    content: LaunchContent,
    provider_org: str | None,
    created_by: str,
) -> Created:
    """A new link for ``content``; the cases are checked as a look-up would check them (how
    many, none twice), so that a link never opens onto a refusal of its own request."""
    link_id = secrets.token_urlsafe(ID_BYTES)
    expires_at = now + LIFETIME
    cases = [(c.case_number, c.member_dob) for c in content.cases]
    with transaction(engine) as session:
        evaluate_lookups(session, policy=policy, now=now, cases=cases)
        store.forget_expired(session, now=now)
        store.add(
            session,
            StoredLaunchLink(
                digest=digest_of(link_id),
                sealed=seal(link_id, content),
                provider_org=provider_org,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            ),
        )
    return Created(link_id=link_id, expires_at=expires_at)


def _admits(scope: Scope, provider_org: str | None) -> bool:
    """A link made for an organisation opens for it and for trusted back ends; a link made
    for none (by a back end) for any caller of the provider pages."""
    return provider_org is None or scope.provider_org in (None, provider_org)


def redeem(*, engine: Engine, policy: Policy, now: datetime, link_id: str, scope: Scope) -> Opened:
    """Use the link up and answer its look-up as of ``now``. ``NotFound`` for an unknown or
    forged id or another organisation's link, ``LinkUsed`` once used (by this request's
    twin too: one of concurrent redeems wins), ``LinkExpired`` after ``LIFETIME``."""
    if not well_formed(link_id):
        raise NotFound(UNKNOWN)
    digest = digest_of(link_id)
    expired = False
    with transaction(engine) as session:
        stored = store.get(session, digest)
        if stored is None or not _admits(scope, stored.provider_org):
            raise NotFound(UNKNOWN)
        if stored.used_at is not None:
            raise LinkUsed(USED)
        if stored.expires_at <= now:
            store.forget_expired(session, now=now)
            expired = True
        else:
            content = unseal(link_id, stored.sealed) if stored.sealed is not None else None
            if content is None:
                raise NotFound(UNKNOWN)
            if not store.use(session, digest, now=now):
                raise LinkUsed(USED)
            cases = [(c.case_number, c.member_dob) for c in content.cases]
            eligibility = evaluate_lookups(
                session, policy=policy, now=now, cases=cases, scope=scope
            )
            # the look-up's own answer: a case already in a P2P names it and offers no new one
            answer = with_booked_cases(eligibility, policy=policy, zone=content.time_zone)
            p2p_record.record_offers(session, answer.cases, now=now)
    if expired:
        raise LinkExpired(EXPIRED)
    return Opened(content=content, eligibility=answer)
