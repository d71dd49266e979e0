"""Reading a policy file: the bundled default, or ``P2P_POLICY_FILE`` instead of it.

A bad file must be refused at start-up with a message a person can act on, naming the
row (by index and id) and the field, so errors are rewritten from pydantic's locations.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from p2p_scheduler.domain.policy.model import Policy

DEFAULT_POLICY = "default_policy.yaml"


class PolicyError(Exception):
    """The policy file cannot be used; ``str()`` names the file, row and field."""


def _where(raw: Any, loc: tuple[Any, ...]) -> str:
    """Turn ``('rules', 3, 'window', 'unit')`` into ``rules[3] (id 'x') field window.unit``."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        row_id = None
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("rules"), list)
            and loc[1] < len(raw["rules"])
        ):
            row = raw["rules"][loc[1]]
            row_id = row.get("id") if isinstance(row, dict) else None
        field = ".".join(str(part) for part in loc[2:]) or "(row)"
        named = f" (id {row_id!r})" if row_id else ""
        return f"rules[{loc[1]}]{named} field {field}"
    if not loc:
        return ""  # whole-policy checks word their own location ("rules[4] (id 'x') field id")
    return "field " + ".".join(str(part) for part in loc)


def parse_policy(text: str, origin: str) -> Policy:
    """Validate policy YAML text; ``origin`` names it in errors."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyError(f"policy {origin}: not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(raw, dict):
        raise PolicyError(f"policy {origin}: expected a mapping at the top level")
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        where = _where(raw, tuple(first["loc"]))
        located = f"{where}: " if where else ""
        raise PolicyError(f"policy {origin}: {located}{message}{more}") from None


def load_policy(path: Path | None = None) -> Policy:
    """Load ``path`` or the bundled default policy."""
    if path is None:
        return default_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(f"policy {path}: cannot be read: {error.strerror}") from None
    return parse_policy(text, str(path))


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The bundled default policy (parsed once)."""
    text = (
        resources.files("p2p_scheduler.domain.policy").joinpath(DEFAULT_POLICY).read_text("utf-8")
    )
    return parse_policy(text, DEFAULT_POLICY)
