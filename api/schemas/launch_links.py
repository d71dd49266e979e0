"""``POST /v1/launch-links`` and its redeem (SPEC §14)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from api.schemas.common import IDENTIFIER, Strict, TimeZoneName, single_line
from api.schemas.eligibility import CaseLookup, EligibilityOut


class LaunchLinkIn(Strict):
    cases: list[CaseLookup] = Field(min_length=1, max_length=50)
    time_zone: TimeZoneName | None = Field(
        None, description="the zone the pages show times in (else the person's own choice)"
    )
    provider_org: str | None = Field(
        None,
        pattern=IDENTIFIER,
        description="the provider organisation whose sign-in may open the link; a provider "
        "sign-in's own is used (another one is refused), a portal key may name any, or none: "
        "then any portal or provider sign-in holding the link may open it",
    )


class LaunchLinkOut(BaseModel):
    url: str = Field(
        description="opens the provider pages with the cases looked up; the link's id is in "
        "the fragment, so it never reaches a server log or a Referer; no date of birth",
        examples=["https://p2p.example.org/portal/#launch=3q2-7wEjc0Yl…"],
    )
    expires_at: datetime


LinkId = Annotated[str, BeforeValidator(single_line)]


class RedeemIn(Strict):
    link_id: LinkId = Field(description="the id after '#launch=' in the link's URL")


class LaunchCaseOut(BaseModel):
    case_number: str
    member_dob: date


class LaunchOut(BaseModel):
    """The link's cases (with the dates of birth: availability, holds and bookings need
    them; they travel in this body, never a URL), its zone and their look-up as of now."""

    cases: list[LaunchCaseOut]
    time_zone: str | None
    eligibility: EligibilityOut
