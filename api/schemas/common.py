"""Field types shared by the schemas: identifiers, states, zones, HH:MM."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from p2p_scheduler.domain.model import US_STATES
from p2p_scheduler.domain.npi import npi_problem
from p2p_scheduler.domain.text import (
    MULTI_LINE,
    MULTI_LINE_MESSAGE,
    SINGLE_LINE_MESSAGE,
    has_control_characters,
)
from p2p_scheduler.domain.zones import require_zone

IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

CaseNumber = Annotated[
    str, StringConstraints(pattern=IDENTIFIER), Field(description="case number, e.g. A100001")
]
ReviewerId = Annotated[
    str, StringConstraints(pattern=IDENTIFIER), Field(description="reviewer id, e.g. rev-001")
]
SKILL_CODE = r"^[A-Za-z0-9_.-]{1,64}$"
SkillCode = Annotated[
    str,
    StringConstraints(pattern=SKILL_CODE, to_lower=True),
    Field(
        description="1 to 64 letters, digits, '_', '.' or '-'; case does not matter "
        "(MSK_SPINE and msk_spine are one skill), stored in lower case",
        examples=["msk_spine"],
    ),
]
ProgramCode = Annotated[
    str,
    StringConstraints(pattern=SKILL_CODE, to_lower=True),
    Field(
        description="the UM program the case belongs to (its policy rows apply): 1 to 64 "
        "letters, digits, '_', '.' or '-'; case does not matter, stored in lower case",
        examples=["oncology"],
    ),
]


def _fold_case(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


CodeT = TypeVar("CodeT", bound=StrEnum)
#: A value of a code list, accepted in any case ("Provider_Unavailable"; SPEC §9 leniency);
#: the OpenAPI shows the list as an ``enum`` of its lower-case values.
Code = Annotated[CodeT, BeforeValidator(_fold_case)]


def single_line(value: Any) -> Any:
    """No control characters at all (SPEC §9 "Text is text"): NUL, C0, DEL, C1, U+2028/9.

    A ``BeforeValidator``: it sees the text as sent, before ``strip_whitespace`` — which
    counts U+0085 and U+2028 as white space and would quietly drop them from the ends
    instead of refusing them. Anything but a string is left to the type's own check."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValueError(SINGLE_LINE_MESSAGE)
    return value


def multi_line(value: Any) -> Any:
    """As ``single_line``, but tabs and line feeds are allowed (free-text notes)."""
    if isinstance(value, str) and has_control_characters(value, allowed=MULTI_LINE):
        raise ValueError(MULTI_LINE_MESSAGE)
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    BeforeValidator(single_line),
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64), BeforeValidator(single_line)
]


EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f<>(),;:\"\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN),
    BeforeValidator(single_line),
]


EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def _plausible_date(value: date) -> date:
    """Dates far outside any case's life are typos, and near year 1 or 9999 they overflow."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Instant = Annotated[
    AwareDatetime,
    AfterValidator(_plausible_date),
    Field(description="ISO 8601 with a UTC offset", examples=["2026-11-20T15:00:00Z"]),
]
CalendarDate = Annotated[date, AfterValidator(_plausible_date), Field(examples=["2026-12-15"])]


def _state(value: str) -> str:
    if value not in US_STATES:
        raise ValueError(f"{value!r} is not a USPS state code such as 'TX' or 'NY'")
    return value


UsState = Annotated[str, AfterValidator(_state), Field(examples=["TX"])]
TimeZoneName = Annotated[str, AfterValidator(require_zone), Field(examples=["America/Phoenix"])]


def _npi(value: str) -> str:
    """An empty NPI is one not given (a form's blank field), like ``null``."""
    if value and (problem := npi_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _number_as_text(value: Any) -> Any:
    """An NPI sent as a JSON number is the same NPI (none begins with 0, so no digit is
    lost); a bool is not a number here."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


#: a National Provider Identifier: ten digits ending in its Luhn check digit (SPEC §11)
Npi = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    BeforeValidator(single_line),
    BeforeValidator(_number_as_text),
    AfterValidator(_npi),
    Field(examples=["1234567893"], description="10 digits with a valid check digit"),
]
#: what a reviewer practises, told to the provider before the call (SPEC §11)
Specialty = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100),
    BeforeValidator(single_line),
    Field(examples=["Orthopaedic surgery"]),
]

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
    """Request bodies: unknown fields are refused so typos do not pass silently, and an
    explicit ``null`` for an optional field means the same as leaving it out (SPEC §9:
    clients differ in whether they send or omit an empty field). A required field stays
    required: ``null`` there is still a 422. The OpenAPI shows every optional field as
    nullable, so generated clients may send either."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _text_is_text(self) -> Self:
        """Every string of the body, typed or not, is text (SPEC §9): a field whose type
        forgot the check still cannot carry NUL or other control characters to the store,
        an e-mail or an invite. Multi-line fields (``MULTI_LINE_FIELDS``) may hold tabs and
        line feeds."""
        for name, value in self:
            allowed = MULTI_LINE if name in MULTI_LINE_FIELDS else ""
            for text in _strings(value):
                if has_control_characters(text, allowed=allowed):
                    raise FieldRuleError(
                        name, MULTI_LINE_MESSAGE if allowed else SINGLE_LINE_MESSAGE
                    )
        return self

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        optional = _optional_keys(cls)
        if not any(data.get(key, ...) is None for key in optional):
            return data
        return {
            key: value for key, value in data.items() if value is not None or key not in optional
        }

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        properties = handler.resolve_ref_schema(schema).get("properties", {})
        for key in _optional_keys(cls):
            if key in properties and not _allows_null(properties[key]):
                properties[key] = _nullable(properties[key])
        return schema


#: the request fields that are free text over several lines (tabs and line feeds allowed)
MULTI_LINE_FIELDS = frozenset({"instructions", "notes", "reason_text"})


def _strings(value: Any) -> Iterator[str]:
    """The strings in a field's value (nested models check their own)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


@cache
def _optional_keys(model: type[BaseModel]) -> frozenset[str]:
    """The body keys of ``model``'s fields that have a default (what ``null`` stands for)."""
    return frozenset(
        field.alias or name for name, field in model.model_fields.items() if not field.is_required()
    )


#: keywords that describe a property rather than constrain its value
_ANNOTATIONS = ("title", "description", "default", "examples", "deprecated")


def _allows_null(schema: JsonSchemaValue) -> bool:
    return schema.get("type") == "null" or any(
        _allows_null(option) for option in schema.get("anyOf", ())
    )


def _nullable(schema: JsonSchemaValue) -> JsonSchemaValue:
    """``schema`` or ``null``, keeping its title, description, default and examples outside."""
    outer = {key: schema[key] for key in _ANNOTATIONS if key in schema}
    inner = {key: value for key, value in schema.items() if key not in _ANNOTATIONS}
    return {"anyOf": [inner, {"type": "null"}], **outer}
