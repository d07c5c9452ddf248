"""The ways of buying compared: procure's own policy, the incumbents' rules, and the bound."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from purchasing.errors import InputRejected
from purchasing.supplier_choice import CHEAPEST, ChoicePolicy

Knowledge = Literal["none", "learned", "truth"]
Pin = Literal["none", "default-supplier", "first-vendor"]


@dataclass(frozen=True)
class Policy:
    """How one policy buys, what it knows about suppliers, and whether it reacts to slips."""

    name: str
    description: str
    choice: ChoicePolicy = field(default_factory=ChoicePolicy)
    knowledge: Knowledge = "none"  # learned: scored from the simulated history
    pin: Pin = "none"
    reroutes: bool = False  # detects slips and reroutes (static policies do not)


PROCURE = Policy(
    "procure",
    "procure's default policy: learned reliability, standings, slips and reroutes",
    knowledge="learned",
    reroutes=True,
)
DEFAULT_SUPPLIER = Policy(
    "default-supplier",
    "one fixed supplier per SKU, the broadest wholesaler offering it (ERPNext's item default)",
    pin="default-supplier",
)
FIRST_VENDOR = Policy(
    "first-vendor",
    "the first offer listed for the SKU (Odoo's vendor sequence)",
    pin="first-vendor",
)
CHEAPEST_POLICY = Policy("cheapest", "the cheapest landed price, always", choice=CHEAPEST)
ORACLE = Policy(
    "oracle",
    "procure's rules with the hidden truth in place of learned reliability (the bound)",
    knowledge="truth",
    reroutes=True,
)

POLICIES: dict[str, Policy] = {
    policy.name: policy
    for policy in (PROCURE, DEFAULT_SUPPLIER, FIRST_VENDOR, CHEAPEST_POLICY, ORACLE)
}
STATIC_POLICIES = ("default-supplier", "first-vendor", "cheapest")


def policies_named(names: list[str] | tuple[str, ...] | None) -> list[Policy]:
    """The policies asked for by name (all of them when none is named), in the standard order."""
    if not names:
        return list(POLICIES.values())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise InputRejected(
            f"unknown policy {', '.join(unknown)}; choose from {', '.join(POLICIES)}"
        )
    return [policy for name, policy in POLICIES.items() if name in names]
