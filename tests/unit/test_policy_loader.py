"""Reading policy files: clear errors for bad files, custom files taking effect, rule merging."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from p2p_scheduler.domain.model import LevelOfReview
from p2p_scheduler.domain.policy import (
    Policy,
    PolicyError,
    default_policy,
    load_policy,
    parse_policy,
)

# Monday 2026-06-15 10:00 EDT.
NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
# Determination Wednesday 2026-06-10 16:00 EDT.
DETERMINED = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)

DEFAULT_TEXT = (
    resources.files("p2p_scheduler.domain.policy").joinpath("default_policy.yaml").read_text()
)


def default_raw() -> dict[str, Any]:
    """A fresh, mutable copy of the bundled policy's YAML data."""
    return copy.deepcopy(yaml.safe_load(DEFAULT_TEXT))


def row(raw: dict[str, Any], row_id: str) -> dict[str, Any]:
    return next(r for r in raw["rules"] if r["id"] == row_id)


def index_of(raw: dict[str, Any], row_id: str) -> int:
    return next(i for i, r in enumerate(raw["rules"]) if r["id"] == row_id)


def write(tmp_path: Path, raw: dict[str, Any] | str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw, sort_keys=False))
    return path


# ---- the bundled default -------------------------------------------------------------------------


def test_default_policy_loads_and_is_cached() -> None:
    policy = default_policy()

    assert policy is default_policy()
    assert load_policy(None) is policy
    assert policy.time_zone == "America/New_York"
    assert policy.minutes_per_case == 15
    assert policy.provider_roles == (
        "ordering_provider",
        "rendering_provider",
        "nurse_practitioner",
        "physician_assistant",
    )


def test_default_rows_have_unique_ids_and_cite_a_source() -> None:
    rules = default_policy().rules

    assert len({r.id for r in rules}) == len(rules)
    assert all(r.source.strip() for r in rules)


# ---- bad files -----------------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param(
        "reconsideration",
        lambda r: row(r, "reconsideration")["window"].update(unit="weeks"),
        "field window.unit: Input should be 'hours', 'calendar_days' or 'business_days'",
        id="bad-unit",
    ),
    pytest.param(
        "state-tx",
        lambda r: row(r, "state-tx")["key"].update(member_state="ZZ"),
        "field key: member_state has unknown value(s) ZZ",
        id="unknown-state-in-key",
    ),
    pytest.param(
        "state-tx",
        lambda r: row(r, "state-tx")["reviewer"].update(license=["TX", "ZZ"]),
        "field reviewer.license: not USPS state codes: ZZ",
        id="unknown-state-in-licence",
    ),
    pytest.param(
        "appeal",
        lambda r: row(r, "appeal").update(windw={"anchor": "appeal_filed_at"}),
        "field windw: Extra inputs are not permitted",
        id="unknown-field",
    ),
    pytest.param(
        "pre-decision",
        lambda r: row(r, "pre-decision")["window"].update(anchor="filed_at"),
        "field window.anchor: Input should be 'received_at', 'hold_due_at', 'determination_at', "
        "'appeal_filed_at' or 'date_of_service'",
        id="unknown-anchor",
    ),
    pytest.param(
        "pre-decision-medicare",
        lambda r: row(r, "pre-decision-medicare")["key"].update(line_of_business="tricare"),
        "field key: line_of_business has unknown value(s) tricare; "
        "use commercial, medicaid, medicare",
        id="unknown-line-of-business",
    ),
    pytest.param(
        "consultative-only",
        lambda r: row(r, "consultative-only")["window"].update(amount=-1),
        "field window.amount: Input should be greater than or equal to 0",
        id="negative-amount",
    ),
    pytest.param(
        "appeal",
        lambda r: row(r, "appeal").update(blocked_by=["appeal_filed", "moon_phase"]),
        "field blocked_by.1: Input should be",
        id="unknown-block",
    ),
]


@pytest.mark.parametrize(("row_id", "mutate", "expected"), BAD_ROWS)
def test_bad_row_names_file_row_index_id_and_field(row_id, mutate, expected, tmp_path) -> None:
    raw = default_raw()
    mutate(raw)
    path = write(tmp_path, raw)
    index = index_of(raw, row_id)

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert str(caught.value).startswith(f"policy {path}: rules[{index}] (id '{row_id}') {expected}")


def test_bad_unit_message_reads_like_the_documented_example(tmp_path) -> None:
    raw = default_raw()
    raw["rules"][3]["window"] = {"anchor": "determination_at", "amount": 5, "unit": "fortnights"}
    raw["rules"][3]["id"] = "x"

    with pytest.raises(PolicyError, match=r"rules\[3\] \(id 'x'\) field window\.unit: "):
        load_policy(write(tmp_path, raw))


def test_duplicate_ids_name_both_rows(tmp_path) -> None:
    raw = default_raw()
    raw["rules"][4]["id"] = "reconsideration"  # also the id of rules[2]
    path = write(tmp_path, raw)

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert str(caught.value) == (
        f"policy {path}: rules[4] (id 'reconsideration') field id: already used by rules[2]"
    )


def test_missing_id_names_the_row_index(tmp_path) -> None:
    raw = default_raw()
    del raw["rules"][5]["id"]

    with pytest.raises(PolicyError, match=r"rules\[5\] field id: Field required"):
        load_policy(write(tmp_path, raw))


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (("not_found",), "messages: missing not_found"),
        (("window_closed", "request_ok"), "messages: missing window_closed, request_ok"),
    ],
)
def test_missing_messages_are_named(missing, expected, tmp_path) -> None:
    raw = default_raw()
    for key in missing:
        del raw["messages"][key]
    path = write(tmp_path, raw)

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert str(caught.value) == f"policy {path}: {expected}"


def test_every_outcome_needs_its_wording(tmp_path) -> None:
    """The provider's outcome e-mail words each code from the policy (SPEC §14)."""
    raw = default_raw()
    del raw["outcomes"]["modified"]
    del raw["outcomes"]["information_only"]["next_steps"]
    path = write(tmp_path, raw)

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert str(caught.value) == (
        f"policy {path}: field outcomes.information_only.next_steps: Field required"
    )
    raw["outcomes"]["information_only"]["next_steps"] = "Nothing changes."
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, raw))
    assert str(caught.value).endswith("outcomes: no label and next_steps for modified")
    raw["outcomes"]["modified"] = {"label": "Decision\n  modified", "next_steps": "A new\nletter."}
    policy = load_policy(write(tmp_path, raw))
    assert policy.outcome_labels["modified"] == "Decision modified"  # also an e-mail subject
    assert policy.outcomes["modified"].next_steps == "A new letter."


def test_invalid_yaml(tmp_path) -> None:
    path = write(tmp_path, "rules: [\n  - id: x\n  key: {")

    with pytest.raises(PolicyError, match=r"^policy .*policy\.yaml: not valid YAML: ") as caught:
        load_policy(path)

    assert "\n" not in str(caught.value)


def test_top_level_must_be_a_mapping(tmp_path) -> None:
    with pytest.raises(PolicyError, match="expected a mapping at the top level"):
        load_policy(write(tmp_path, "- just\n- a list\n"))


@pytest.mark.parametrize("zone", ["Eastern", "US/Nowhere", "UTC-5", ""])
def test_time_zone_must_be_an_iana_name(zone, tmp_path) -> None:
    raw = default_raw()
    raw["time_zone"] = zone
    path = write(tmp_path, raw)

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert str(caught.value) == (
        f"policy {path}: field time_zone: {zone!r} is not an IANA time zone name such as "
        "'America/New_York'"
    )


def test_status_without_levels_is_refused(tmp_path) -> None:
    raw = default_raw()
    del raw["status_levels"]["withdrawn"]

    with pytest.raises(PolicyError, match="status_levels: no entry for withdrawn"):
        load_policy(write(tmp_path, raw))


def test_incomplete_rules_are_refused_naming_the_combination(tmp_path) -> None:
    raw = default_raw()
    del row(raw, "pre-decision")["window"]

    with pytest.raises(
        PolicyError, match=r"rules: no row sets 'window' for commercial × pre_decision × AK × \*"
    ):
        load_policy(write(tmp_path, raw))


def test_unreadable_file(tmp_path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(PolicyError, match=r"absent\.yaml: cannot be read"):
        load_policy(path)


def test_parse_policy_names_its_origin() -> None:
    with pytest.raises(PolicyError, match=r"^policy from-env: expected a mapping"):
        parse_policy("42", "from-env")


# ---- custom files take effect --------------------------------------------------------------------


def test_custom_reconsideration_window_of_7_days(tmp_path, make_case, evaluate) -> None:
    raw = default_raw()
    row(raw, "reconsideration")["window"]["amount"] = 7
    custom = load_policy(write(tmp_path, raw))
    case = make_case(status="denied", determination_at=DETERMINED)

    with_custom = evaluate(case, now=NOW, policy=custom)
    with_default = evaluate(case, now=NOW)

    # Wed 2026-06-10 + 7 → Wed 2026-06-17 23:59:59 EDT.
    assert with_custom.valid_until == datetime(2026, 6, 18, 3, 59, 59, tzinfo=UTC)
    assert with_default.valid_until == datetime(2026, 6, 25, 3, 59, 59, tzinfo=UTC)


def test_custom_time_zone_moves_end_of_day(tmp_path, make_case, evaluate) -> None:
    raw = default_raw()
    raw["time_zone"] = "America/Los_Angeles"
    custom = load_policy(write(tmp_path, raw))
    case = make_case(status="denied", determination_at=DETERMINED)

    result = evaluate(case, now=NOW, policy=custom)

    # 2026-06-24 23:59:59 PDT.
    assert result.valid_until == datetime(2026, 6, 25, 6, 59, 59, tzinfo=UTC)
    assert result.messages == ("Reconsideration allowed until Wed 6/24/2026 11:59 pm PDT.",)


def test_custom_message_wording(tmp_path, make_case, evaluate) -> None:
    raw = default_raw()
    raw["messages"]["status_approved"] = "Approved: no P2P needed."
    custom = load_policy(write(tmp_path, raw))

    result = evaluate(make_case(status="approved"), now=NOW, policy=custom)

    assert result.messages == ("Approved: no P2P needed.",)


def test_closed_status_falls_back_to_status_closed(tmp_path, make_case, evaluate) -> None:
    raw = default_raw()
    del raw["messages"]["status_withdrawn"]
    custom = load_policy(write(tmp_path, raw))

    result = evaluate(make_case(status="withdrawn"), now=NOW, policy=custom)

    assert result.messages == ("This case is closed. A P2P consultation cannot be scheduled.",)


# ---- rule merging: specificity first, then file order --------------------------------------------


def merged_policy(tmp_path: Path, *extra_rows: dict[str, Any]) -> Policy:
    raw = default_raw()
    raw["rules"].extend(extra_rows)
    return load_policy(write(tmp_path, raw))


def test_more_specific_row_wins_even_when_earlier_in_the_file(tmp_path) -> None:
    policy = merged_policy(
        tmp_path,
        {
            "id": "acme-reconsideration-21",
            "key": {"level_of_review": "reconsideration", "health_plan": "Acme Health"},
            "source": "test",
            "window": {"anchor": "determination_at", "amount": 21, "unit": "calendar_days"},
        },
        {
            "id": "all-reconsideration-10",
            "key": {"level_of_review": "reconsideration"},
            "source": "test",
            "window": {"anchor": "determination_at", "amount": 10, "unit": "calendar_days"},
        },
    )

    acme = policy.rule_for(
        line_of_business="commercial",
        level=LevelOfReview.RECONSIDERATION,
        member_state="PA",
        health_plan="Acme Health",
    )
    other = policy.rule_for(
        line_of_business="commercial",
        level=LevelOfReview.RECONSIDERATION,
        member_state="PA",
        health_plan="Other Plan",
    )

    assert acme.window.amount == 21
    assert acme.row_ids == (
        "reconsideration",
        "all-reconsideration-10",
        "acme-reconsideration-21",
    )
    assert other.window.amount == 10
    assert other.row_ids == ("reconsideration", "all-reconsideration-10")


def test_health_plan_row_applies_through_eligibility(tmp_path, make_case, evaluate) -> None:
    policy = merged_policy(
        tmp_path,
        {
            "id": "acme-no-reconsideration",
            "key": {"level_of_review": "reconsideration", "health_plan": "Acme Health"},
            "source": "test",
            "available": False,
        },
    )
    acme = make_case(status="denied", determination_at=DETERMINED)
    other = make_case(status="denied", determination_at=DETERMINED, health_plan="Other Plan")

    assert evaluate(acme, now=NOW, policy=policy).level_of_review is (
        LevelOfReview.CONSULTATIVE_ONLY
    )
    assert evaluate(other, now=NOW, policy=policy).level_of_review is (
        LevelOfReview.RECONSIDERATION
    )


def test_reviewer_settings_merge_field_by_field(policy) -> None:
    rule = policy.rule_for(
        line_of_business="medicare",
        level=LevelOfReview.APPEAL,
        member_state="TX",
        health_plan="Acme Health",
    )

    assert rule.row_ids == ("appeal", "state-tx", "appeal-medicare")
    assert rule.available is False
    assert rule.reviewer.tiers == (1,)
    assert rule.reviewer.license == "member_state"
    assert rule.reviewer.original_reviewer.value == "exclude"


def test_later_row_of_equal_specificity_overrides_earlier(policy) -> None:
    # pre-decision (rules[0]) and state-tx (later) both have one keyed field.
    rule = policy.rule_for(
        line_of_business="commercial",
        level=LevelOfReview.PRE_DECISION,
        member_state="TX",
        health_plan="Acme Health",
    )

    assert rule.row_ids == ("pre-decision", "state-tx")
    assert rule.reviewer.tiers == (1,)
