"""Loading a patrol's rule inputs together: zones GeoJSON (geo.zones) + rules YAML, one error type."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infractions.rules.config import RulesConfig, RulesConfigError, default_rules, load_rules
from infractions.rules.zonegeom import ActiveHoursError, ZoneGeometry


class PatrolConfigError(ValueError):
    """Zones or rules unusable; the message names the file and the feature/field at fault."""


@dataclass(frozen=True)
class PatrolConfig:
    """The zones (``geo.zones.ZoneSet``) and the validated rules of one patrol."""

    zones: Any
    rules: RulesConfig


def load_patrol_config(zones: str | Path | dict, rules: str | Path | None = None) -> PatrolConfig:
    """Load and cross-check zones + rules; ``PatrolConfigError`` names the file and field."""
    from geo.zones import ZoneError, load_zones

    try:
        zone_set = load_zones(zones)
    except ZoneError as exc:
        raise PatrolConfigError(str(exc)) from None
    try:
        config = load_rules(rules) if rules is not None else default_rules()
    except RulesConfigError as exc:
        raise PatrolConfigError(str(exc)) from None
    try:
        ZoneGeometry(zone_set)
    except ActiveHoursError as exc:
        raise PatrolConfigError(f"{zones if not isinstance(zones, dict) else '<zones>'}: {exc}") from None
    return PatrolConfig(zone_set, config)
