"""Field types shared by the schemas: identifiers, states, zones, HH:MM."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from p2p_scheduler.domain import US_STATES
from p2p_scheduler.zones import require_zone

IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

CaseNumber = Annotated[
    str, StringConstraints(pattern=IDENTIFIER), Field(description="case number, e.g. A100001")
]
ReviewerId = Annotated[
    str, StringConstraints(pattern=IDENTIFIER), Field(description="reviewer id, e.g. rev-001")
]
SkillCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
    ),
]


def _state(value: str) -> str:
    if value not in US_STATES:
        raise ValueError(f"{value!r} is not a USPS state code such as 'TX' or 'NY'")
    return value


UsState = Annotated[str, AfterValidator(_state), Field(examples=["TX"])]
TimeZoneName = Annotated[str, AfterValidator(require_zone), Field(examples=["America/Phoenix"])]

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"{value!r} is not a time as HH:MM (24-hour), e.g. '09:00'")
    return value


ClockTime = Annotated[str, AfterValidator(_hhmm), Field(examples=["09:00"])]


class FieldRuleError(ValueError):
    """A rule across fields that still belongs to one of them, so the 422 can name it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Strict(BaseModel):
    """Request bodies: unknown fields are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")
