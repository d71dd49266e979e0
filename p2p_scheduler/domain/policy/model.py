"""The policy file's schema and the rule resolution (SPEC §2 "Shape of the policy").

A policy is data: rows keyed by line of business × level of review × member state × health
plan × program (SPEC §14), each setting some parameters. ``Policy.rule_for`` merges the
matching rows (less specific first, then file order) into one complete ``LevelRule`` — the
only thing the eligibility function reads, so no rule lives in an ``if`` chain.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from p2p_scheduler.domain.enums import Outcome
from p2p_scheduler.domain.model import US_STATES, CaseStatus, LevelOfReview, LineOfBusiness
from p2p_scheduler.domain.policy.days import Unit
from p2p_scheduler.domain.zones import require_zone

WILDCARD = "*"


class Anchor(StrEnum):
    """Case fields a window may start from."""

    RECEIVED_AT = "received_at"
    HOLD_DUE_AT = "hold_due_at"
    DETERMINATION_AT = "determination_at"
    APPEAL_FILED_AT = "appeal_filed_at"
    DATE_OF_SERVICE = "date_of_service"


class Requirement(StrEnum):
    """Case facts a level needs to be offered."""

    APPEAL_FILED = "appeal_filed"
    POST_DECISION_DELEGATED = "post_decision_delegated"
    APPEALS_DELEGATED = "appeals_delegated"


class Block(StrEnum):
    """Case facts that rule a level out (SPEC §2 "what blocks it")."""

    APPEAL_FILED = "appeal_filed"
    SERVICE_RENDERED = "service_rendered"
    RETROSPECTIVE = "retrospective"
    P2P_COMPLETED = "p2p_completed"
    ADDITIONAL_INFO_RECEIVED = "additional_info_received"


class OriginalReviewer(StrEnum):
    NONE = "none"
    EXCLUDE = "exclude"
    PREFER = "prefer"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    anchor: Anchor
    amount: int = Field(ge=0, le=3650)
    unit: Unit


class Delay(_Strict):
    """A limit counted from the moment of the request (e.g. "within one business day")."""

    amount: int = Field(ge=0, le=365)
    unit: Unit


LicenseRule = Literal["member_state", "any_us"] | tuple[str, ...]


class ReviewerRulePatch(_Strict):
    tiers: tuple[Annotated[int, Field(ge=1)], ...] | None = None
    license: LicenseRule | None = None
    original_reviewer: OriginalReviewer | None = None

    @field_validator("license", mode="before")
    @classmethod
    def _states(cls, value: Any) -> Any:
        if isinstance(value, list):
            bad = [state for state in value if state not in US_STATES]
            if bad:
                raise ValueError(f"not USPS state codes: {', '.join(map(str, bad))}")
            return tuple(value)
        return value


class ReviewerRule(_Strict):
    """Who may hold the P2P: allowed skill tiers (None = any), licence, original reviewer."""

    tiers: tuple[int, ...] | None
    license: LicenseRule
    original_reviewer: OriginalReviewer


def _key_values(value: Any, allowed: set[str] | None, name: str) -> tuple[str, ...] | None:
    """Normalise a key field: "*" → None (any), a value or list → tuple of values."""
    if value == WILDCARD:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{name} must be '*', a value or a list of values")
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(
                f"{name} has unknown value(s) {', '.join(bad)}; use {', '.join(sorted(allowed))}"
            )
    return values


#: The fields a row's key may set, in the order SPEC §2 names them (``program``: SPEC §14).
#: Precedence lives in ``RuleKey.specificity`` and ``Policy.rule_for``: a row that sets more
#: of these fields (not "*") overrides one that sets fewer; on a tie the later row wins.
KEY_FIELDS = ("line_of_business", "level_of_review", "member_state", "health_plan", "program")

#: A program code: as the case snapshot's ``program`` (1–64 letters, digits, ``_.-``), any case.
PROGRAM_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _program_values(value: Any) -> tuple[str, ...] | None:
    """Program codes compare in lower case, as the API stores them (SPEC §9: codes in any case)."""
    values = _key_values(value, None, "program")
    if values is None:
        return None
    bad = [v for v in values if not PROGRAM_CODE.fullmatch(v)]
    if bad:
        raise ValueError(
            f"program has invalid value(s) {', '.join(bad)}; a program code is 1 to 64 "
            "letters, digits, '_', '.' or '-'"
        )
    return tuple(dict.fromkeys(v.lower() for v in values))


def program_code(program: str | None) -> str | None:
    """The form a case's program is matched in: lower case; None or blank = no program."""
    if program is None:
        return None
    return program.strip().lower() or None


class RuleKey(_Strict):
    line_of_business: tuple[str, ...] | None
    level_of_review: tuple[str, ...] | None
    member_state: tuple[str, ...] | None
    health_plan: tuple[str, ...] | None
    program: tuple[str, ...] | None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"key must be a mapping of {', '.join(KEY_FIELDS)}")
        allowed = {
            "line_of_business": {m.value for m in LineOfBusiness},
            "level_of_review": {m.value for m in LevelOfReview},
            "member_state": set(US_STATES),
            "health_plan": None,
        }
        unknown = set(data) - set(KEY_FIELDS)
        if unknown:
            raise ValueError(f"unknown key field(s): {', '.join(sorted(unknown))}")
        return {
            **{
                name: _key_values(data.get(name, WILDCARD), ok, name)
                for name, ok in allowed.items()
            },
            "program": _program_values(data.get("program", WILDCARD)),
        }

    @property
    def specificity(self) -> int:
        """How many key fields the row sets: the more, the later it applies (it wins)."""
        return sum(getattr(self, name) is not None for name in KEY_FIELDS)

    def matches(
        self,
        *,
        line_of_business: str,
        level: str,
        member_state: str,
        health_plan: str,
        program: str | None = None,
    ) -> bool:
        """Whether a case with these values falls under the row; no program matches "*" only."""
        pairs = (
            (self.line_of_business, line_of_business),
            (self.level_of_review, level),
            (self.member_state, member_state),
            (self.health_plan, health_plan),
            (self.program, program),
        )
        return all(allowed is None or value in allowed for allowed, value in pairs)


class RuleRow(_Strict):
    """One row of the policy: a key and the parameters it sets (all optional)."""

    id: str = Field(min_length=1)
    key: RuleKey
    source: str = Field(min_length=3, description="seed file name or regulation this row encodes")
    available: bool | None = None
    requires: tuple[Requirement, ...] | None = None
    blocked_by: tuple[Block, ...] | None = None
    explicit_deadline: Anchor | None = None
    window: Window | None = None
    status_windows: dict[CaseStatus, Window] | None = None
    urgent_window: Window | None = None
    not_after: tuple[Anchor, ...] | None = None
    respond_within: Delay | None = None
    decision_can_change: bool | None = None
    reviewer: ReviewerRulePatch | None = None
    message: str | None = None


class LevelRule(_Strict):
    """The complete, merged parameters for one case at one level of review."""

    level: LevelOfReview
    row_ids: tuple[str, ...]
    available: bool
    requires: tuple[Requirement, ...] = ()
    blocked_by: tuple[Block, ...] = ()
    explicit_deadline: Anchor | None = None
    window: Window
    status_windows: dict[CaseStatus, Window] = Field(default_factory=dict)
    urgent_window: Window | None = None
    not_after: tuple[Anchor, ...] = ()
    respond_within: Delay | None = None
    decision_can_change: bool
    reviewer: ReviewerRule
    message: str


class OutcomeWording(_Strict):
    """How the provider is told an outcome (SPEC §14): a short label for pages and the
    e-mail's subject, and what happens next, in the plan's words."""

    label: str = Field(min_length=1, max_length=80)
    next_steps: str = Field(min_length=1, max_length=1000)

    @field_validator("label", "next_steps")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """One line of plain words: the label is also an e-mail subject, where a line
        break would be refused (or split the header)."""
        return " ".join(value.split())


#: Message keys every policy must word; ``blocked_<block>`` and ``status_<status>`` may be
#: added for specific blocks and closed statuses, falling back to ``blocked`` / ``status_closed``.
REQUIRED_MESSAGES = (
    "not_found",
    "status_closed",
    "blocked",
    "missing_date",
    "window_closed",
    "no_level",
    "request_blocked",
    "request_ok",
)


_PATCH_FIELDS = tuple(
    name for name in RuleRow.model_fields if name not in {"id", "key", "source", "reviewer"}
)


class Policy(_Strict):
    """A whole policy file, validated."""

    policy_version: str
    time_zone: str
    minutes_per_case: int = Field(ge=5, le=120)
    max_cases_per_request: int = Field(ge=1, le=50)
    provider_roles: tuple[str, ...] = Field(min_length=1)
    status_levels: dict[CaseStatus, tuple[LevelOfReview, ...]]
    level_labels: dict[LevelOfReview, str]
    outcomes: dict[Outcome, OutcomeWording]
    messages: dict[str, str]
    rules: tuple[RuleRow, ...] = Field(min_length=1)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return require_zone(value)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = [s.value for s in CaseStatus if s not in self.status_levels]
        if missing:
            raise ValueError(f"status_levels: no entry for {', '.join(missing)}")
        missing = [lv.value for lv in LevelOfReview if lv not in self.level_labels]
        if missing:
            raise ValueError(f"level_labels: no label for {', '.join(missing)}")
        missing = [code.value for code in Outcome if code not in self.outcomes]
        if missing:
            raise ValueError(f"outcomes: no label and next_steps for {', '.join(missing)}")
        missing = [key for key in REQUIRED_MESSAGES if key not in self.messages]
        if missing:
            raise ValueError(f"messages: missing {', '.join(missing)}")
        first_index: dict[str, int] = {}
        for index, row in enumerate(self.rules):
            if row.id in first_index:
                raise ValueError(
                    f"rules[{index}] (id {row.id!r}) field id: already used by "
                    f"rules[{first_index[row.id]}]"
                )
            first_index[row.id] = index
        # Every combination a case can reach must resolve to complete parameters. Rows keyed
        # by a health plan or a program only add to what these resolve to, so "*" covers them.
        for lob in LineOfBusiness:
            for level in LevelOfReview:
                for state in sorted(US_STATES):
                    self.rule_for(
                        line_of_business=lob, level=level, member_state=state, health_plan=WILDCARD
                    )
        return self

    def rule_for(
        self,
        *,
        line_of_business: str,
        level: LevelOfReview,
        member_state: str,
        health_plan: str,
        program: str | None = None,
    ) -> LevelRule:
        """Merge the rows matching this key into one ``LevelRule``.

        The one precedence rule: rows apply from least to most specific (``specificity``:
        how many key fields a row sets, ``program`` counting like any other), file order
        breaking ties, each overriding the parameters it sets; ``reviewer`` merges field by
        field. So a program row and a state row that set different parameters both apply,
        and where they set the same one, the row with more key fields wins (a row keyed by
        both program and state beats either).
        """
        code = program_code(program)
        matching = [
            (row.key.specificity, index, row)
            for index, row in enumerate(self.rules)
            if row.key.matches(
                line_of_business=str(line_of_business),
                level=str(level),
                member_state=member_state,
                health_plan=health_plan,
                program=code,
            )
        ]
        matching.sort(key=lambda item: (item[0], item[1]))
        merged: dict[str, Any] = {
            "level": level,
            "row_ids": tuple(row.id for _, _, row in matching),
        }
        reviewer: dict[str, Any] = {}
        for _, _, row in matching:
            for name in _PATCH_FIELDS:
                value = getattr(row, name)
                if value is not None:
                    merged[name] = value
            if row.reviewer is not None:
                reviewer.update(row.reviewer.model_dump(exclude_none=True))
        if reviewer:
            merged["reviewer"] = reviewer
        for needed in ("available", "window", "decision_can_change", "reviewer", "message"):
            if needed not in merged:
                raise ValueError(
                    f"rules: no row sets '{needed}' for {line_of_business} × {level} × "
                    f"{member_state} × {health_plan} × {code or WILDCARD}"
                )
        merged["reviewer"] = {"tiers": None, **merged["reviewer"]}
        return LevelRule.model_validate(merged)

    def label(self, level: LevelOfReview) -> str:
        return self.level_labels[level]

    @property
    def outcome_labels(self) -> dict[str, str]:
        """Each outcome code's label, as the booking document shows it."""
        return {str(code): wording.label for code, wording in self.outcomes.items()}

    def message(self, key: str, fallback: str, **values: object) -> str:
        """The provider-facing wording for ``key`` (or ``fallback``), filled with ``values``."""
        return self.fill(self.messages.get(key, self.messages[fallback]), **values)

    @staticmethod
    def fill(template: str, **values: object) -> str:
        """Fill ``{placeholders}`` and collapse the YAML's line breaks into single spaces."""
        return " ".join(template.format_map(_Blank(values)).split())


class _Blank(dict[str, object]):
    """Format mapping that leaves unknown placeholders visible rather than failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
