"""Schemathesis hooks: put control characters into the strings it generates (SPEC §9 "Text is
text").

Schemathesis draws strings from the schema, so a documented pattern keeps NUL out of most of
them, and random bodies rarely get far enough for a string to reach the database. These hooks
take each generated query, path and body and, for any of its strings, may insert one character
of ``HOSTILE`` at a drawn position: a NUL in ``?provider_email=`` reaches PostgreSQL, which
is what made it answer 500 before issue 16. Loaded by ``SCHEMATHESIS_HOOKS``.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

#: NUL, other C0 (tab, line feed, carriage return, escape), DEL, C1 and the Unicode separators
HOSTILE = ("\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029")


def _insert(value: str) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(HOSTILE), st.integers(0, len(value))).map(
        lambda drawn: value[: drawn[1]] + drawn[0] + value[drawn[1] :]
    )


def poisoned(value: Any) -> st.SearchStrategy[Any]:
    """``value`` as drawn, or with control characters inserted into some of its strings."""
    if isinstance(value, str):
        return st.one_of(st.just(value), _insert(value))
    if isinstance(value, dict):
        return st.fixed_dictionaries({key: poisoned(item) for key, item in value.items()})
    if isinstance(value, list):
        return st.tuples(*(poisoned(item) for item in value)).map(list)
    return st.just(value)


@schemathesis.hook
def flatmap_query(ctx: Any, query: Any) -> st.SearchStrategy[Any]:
    return poisoned(query)


@schemathesis.hook
def flatmap_path_parameters(ctx: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    return poisoned(path_parameters)


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> st.SearchStrategy[Any]:
    return poisoned(body)
