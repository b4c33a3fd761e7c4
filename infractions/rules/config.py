"""Rules file (YAML) schema, validated with pydantic: which rules run on a patrol and their parameters.

Errors name the file and the field (``rules.yaml: rules[1].params.k_sigma: ...``), never a traceback.
"""
from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: Classes the detector reports that count as motor vehicles for traffic rules.
DEFAULT_VEHICLE_CLASSES: tuple[str, ...] = ("car", "truck", "bus", "motorcycle")


class RulesConfigError(ValueError):
    """A rules file that cannot be used; the message names the file and the field at fault."""


class _Params(BaseModel):
    """Common rule parameters; unknown keys are errors so typos do not silently use defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def as_flat(self) -> dict[str, bool | int | float | str]:
        """Parameters as a flat scalar mapping (lists joined by commas), as InfractionEvent.rule_params wants."""
        out: dict[str, bool | int | float | str] = {}
        for key, value in self.model_dump().items():
            out[key] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value
        return out


class SpeedingParams(_Params):
    """Ground speed over a road's limit + tolerance, judged on the lower confidence bound."""

    tolerance_kmh: float = Field(5.0, ge=0)
    tolerance_pct: float = Field(0.0, ge=0, le=100)
    k_sigma: float = Field(2.0, ge=0, le=10)
    min_duration_s: float = Field(2.0, ge=0)
    min_distance_m: float = Field(20.0, ge=0)
    road_margin_m: float = Field(3.0, ge=0, description="beyond the road's half width")
    grace_s: float = Field(0.6, ge=0)
    classes: list[str] = Field(default_factory=lambda: list(DEFAULT_VEHICLE_CLASSES))


class NoParkingParams(_Params):
    """A vehicle stationary inside an active no-parking zone for a minimum time."""

    stationary_speed_kmh: float = Field(4.0, gt=0)
    k_sigma: float = Field(2.0, ge=0, le=10)
    stationary_radius_m: float = Field(4.0, gt=0)
    min_duration_s: float = Field(60.0, ge=0)
    edge_k_sigma: float = Field(1.0, ge=0)
    reid_radius_m: float = Field(3.0, gt=0)
    reid_max_absence_s: float = Field(1800.0, ge=0)
    grace_s: float = Field(3.0, ge=0)
    classes: list[str] = Field(default_factory=lambda: list(DEFAULT_VEHICLE_CLASSES))


class WrongWayParams(_Params):
    """Heading against a one-way road's direction, trusted only above a minimum speed."""

    min_distance_m: float = Field(25.0, ge=0)
    min_duration_s: float = Field(1.0, ge=0)
    min_speed_kmh: float = Field(8.0, ge=0)
    k_sigma: float = Field(2.0, ge=0, le=10)
    against_deg: float = Field(135.0, gt=90, le=180)
    road_margin_m: float = Field(3.0, ge=0, description="beyond the road's half width")
    grace_s: float = Field(0.6, ge=0)
    classes: list[str] = Field(default_factory=lambda: [*DEFAULT_VEHICLE_CLASSES, "bicycle"])


class RestrictedParams(_Params):
    """A person or vehicle inside an active restricted polygon (zone ``applies_to`` wins over ``classes``)."""

    min_duration_s: float = Field(2.0, ge=0)
    edge_k_sigma: float = Field(1.0, ge=0)
    grace_s: float = Field(1.0, ge=0)
    classes: list[str] = Field(default_factory=lambda: ["person", *DEFAULT_VEHICLE_CLASSES, "bicycle"])


class _RuleBase(BaseModel):
    """Identity of one configured rule: id (unique in the file), version, enabled flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    version: str = Field("1.0", min_length=1, max_length=32)
    enabled: bool = True


class SpeedingRule(_RuleBase):
    kind: Literal["speeding"]
    params: SpeedingParams = SpeedingParams()


class NoParkingRule(_RuleBase):
    kind: Literal["no_parking"]
    params: NoParkingParams = NoParkingParams()


class WrongWayRule(_RuleBase):
    kind: Literal["wrong_way"]
    params: WrongWayParams = WrongWayParams()


class RestrictedRule(_RuleBase):
    kind: Literal["restricted_area"]
    params: RestrictedParams = RestrictedParams()


RuleSpec = Annotated[Union[SpeedingRule, NoParkingRule, WrongWayRule, RestrictedRule], Field(discriminator="kind")]


class RulesConfig(BaseModel):
    """A whole rules file: time zone for zones' active hours, occlusion tolerance and the rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    timezone: str = "UTC"
    max_gap_s: float = Field(2.0, gt=0, description="longest occlusion a track episode survives")
    track_ttl_s: float = Field(3.0, gt=0, description="a track unseen this long is lost and closed")
    dedup_window_s: float = Field(10.0, ge=0, description="a new track this soon after a flagged one was lost ...")
    dedup_radius_m: float = Field(5.0, ge=0, description="... and this close to where it was predicted is the same")
    dedup_growth_mps: float = Field(1.0, ge=0, description="the radius grows this much per second of gap, up to 3 x dedup_radius_m")
    dedup_window_slow_s: float = Field(60.0, ge=0, description="the window for subjects slower than 2 m/s")
    history_s: float = Field(120.0, gt=0, description="per-track history kept for speed profiles")
    rules: list[RuleSpec] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _ttl_covers_gap(self) -> "RulesConfig":
        if self.track_ttl_s < self.max_gap_s:
            raise ValueError(f"track_ttl_s ({self.track_ttl_s}) must be >= max_gap_s ({self.max_gap_s})")
        return self

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return rules


def default_rules(timezone: str = "UTC") -> RulesConfig:
    """All four rules with their default parameters (what a patrol runs without a rules file)."""
    return RulesConfig(
        timezone=timezone,
        rules=[
            SpeedingRule(id="speeding", kind="speeding"),
            NoParkingRule(id="no_parking", kind="no_parking"),
            WrongWayRule(id="wrong_way", kind="wrong_way"),
            RestrictedRule(id="restricted_area", kind="restricted_area"),
        ],
    )


def _loc(loc: tuple[Any, ...]) -> str:
    """pydantic error location -> ``rules[1].params.k_sigma`` (discriminator tags dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("speeding", "no_parking", "wrong_way", "restricted_area") and out.endswith("]"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def parse_rules(data: Any, source: str = "<rules>") -> RulesConfig:
    """Validate an already-parsed mapping; ``RulesConfigError`` names ``source`` and the field."""
    if not isinstance(data, dict):
        raise RulesConfigError(f"{source}: expected a mapping at top level, got {type(data).__name__}")
    try:
        return RulesConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_loc(tuple(e['loc']))}: {e['msg']}" for e in exc.errors())
        raise RulesConfigError(f"{source}: {problems}") from None


def load_rules(path: str | Path) -> RulesConfig:
    """Read and validate a YAML rules file; ``RulesConfigError`` names the file and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesConfigError(f"{path}: cannot read rules file ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RulesConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_rules(data, str(path))
