"""Typed errors of the patrol planner: bad parameters, and plans refused as infeasible (with reasons)."""
from __future__ import annotations

from dataclasses import dataclass


class PlanError(ValueError):
    """Base class of every planner error (a ValueError so CLIs can catch one family)."""


class PlanParameterError(PlanError):
    """A planner input is invalid (negative altitude, degenerate polygon, overlap >= 100 %, ...)."""


@dataclass(frozen=True)
class Violation:
    """One reason a plan is infeasible: `kind` (fence, altitude, distance, battery), item index or -1, text."""

    kind: str
    message: str
    item_index: int = -1

    def __str__(self) -> str:
        where = f" (item {self.item_index})" if self.item_index >= 0 else ""
        return f"{self.kind}: {self.message}{where}"


class InfeasiblePlan(PlanError):
    """The plan breaks at least one limit; `.violations` lists every reason found."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = list(violations)
        super().__init__("; ".join(str(v) for v in self.violations) or "infeasible plan")

    @property
    def kinds(self) -> set[str]:
        """The set of violation kinds (e.g. {'fence', 'battery'})."""
        return {v.kind for v in self.violations}


class FenceViolation(InfeasiblePlan):
    """The only problems are geofence breaches (legs outside an inclusion zone or inside an exclusion)."""


class AltitudeViolation(InfeasiblePlan):
    """The only problems are altitudes outside the allowed band."""


class RangeViolation(InfeasiblePlan):
    """The only problems are points farther from home than allowed."""


class BatteryInsufficient(InfeasiblePlan):
    """The only problem is energy: the plan plus the way home needs more than the usable battery."""


def infeasible(violations: list[Violation]) -> InfeasiblePlan:
    """The most specific InfeasiblePlan subclass for these violations (the base class when mixed)."""
    kinds = {v.kind for v in violations}
    classes = {"fence": FenceViolation, "altitude": AltitudeViolation, "distance": RangeViolation,
               "battery": BatteryInsufficient}
    if len(kinds) == 1:
        return classes.get(next(iter(kinds)), InfeasiblePlan)(violations)
    return InfeasiblePlan(violations)
