"""The eligibility policy as data: schema, loader and the bundled default file."""

from p2p_scheduler.domain.policy.loader import (
    PolicyError,
    default_policy,
    load_policy,
    parse_policy,
)
from p2p_scheduler.domain.policy.model import LevelRule, Policy

__all__ = ["LevelRule", "Policy", "PolicyError", "default_policy", "load_policy", "parse_policy"]
