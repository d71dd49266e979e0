"""The National Provider Identifier a reviewer may disclose (SPEC §11).

An NPI is ten digits whose last is a Luhn check digit computed over the card-issuer prefix
``80840`` followed by the first nine (CMS, "Requirements for NPI check digit"). Checking it
catches the typo a front desk makes when copying it, before a provider reads it in an invite.
"""

from __future__ import annotations

#: the ISO 7812 issuer prefix CMS puts in front of the nine digits for the Luhn check
NPI_PREFIX = "80840"
NPI_LENGTH = 10


def check_digit(first_nine: str) -> int:
    """The Luhn check digit of ``80840`` + ``first_nine``."""
    digits = [int(d) for d in NPI_PREFIX + first_nine]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:  # the rightmost payload digit is doubled: the check digit follows
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


def npi_problem(value: str) -> str | None:
    """Why ``value`` is not an NPI, in words a front desk can act on; None when it is one."""
    if len(value) != NPI_LENGTH or not value.isascii() or not value.isdigit():
        return "must be the reviewer's 10-digit NPI (digits only, e.g. 1234567893)"
    if check_digit(value[:-1]) != int(value[-1]):
        return (
            "is not a valid NPI: its last digit does not match the check digit; "
            "copy the NPI again from the NPPES registry"
        )
    return None
