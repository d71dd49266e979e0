"""The NPI check digit (SPEC §11): a Luhn digit over ``80840`` and the first nine digits."""

from __future__ import annotations

import pytest

from p2p_scheduler.domain.npi import check_digit, npi_problem
from p2p_scheduler.tools.demo import demo_npi, demo_reviewers


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_issued_npis_pass(npi: str) -> None:
    assert npi_problem(npi) is None


def test_every_other_last_digit_fails_with_words_a_front_desk_can_act_on() -> None:
    wrong = [f"123456789{d}" for d in "0123456789" if d != "3"]
    assert all("check digit" in (npi_problem(npi) or "") for npi in wrong)


def test_a_swap_of_two_neighbouring_digits_is_caught() -> None:
    assert npi_problem("1324567893") is not None


def test_the_demo_npis_pass_and_belong_to_no_one() -> None:
    npis = [r.npi for r in demo_reviewers() if r.npi]
    assert len(npis) == len(set(npis)) > 20
    assert all(npi_problem(npi) is None and npi.startswith("999") for npi in npis)
    assert demo_npi("rev-003") is None  # optional: some reviewers disclose none
    assert all(r.specialty for r in demo_reviewers())
    assert check_digit("999000001") == int(demo_npi("rev-001")[-1])  # type: ignore[index]
