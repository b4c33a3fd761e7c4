"""Traffic scenario spec: how many road users, and which infractions to stage (YAML or JSON file)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Speeding(_Base):
    """A car driving at ``speed_kmh`` on ``road`` (default: an arterial) from ``start_s``."""

    type: Literal["speeding"]
    start_s: float = Field(0.0, ge=0)
    speed_kmh: float = Field(72.0, gt=0, le=250)
    road: str | None = None
    kind: Literal["car", "van", "motorcycle"] = "car"


class NoParking(_Base):
    """A car that pulls into no-parking zone ``zone`` and stays ``duration_s``."""

    type: Literal["no_parking"]
    start_s: float = Field(0.0, ge=0)
    duration_s: float = Field(180.0, gt=0)
    zone: str | None = None
    kind: Literal["car", "van", "truck"] = "car"


class WrongWay(_Base):
    """A car driving against the direction of one-way ``road``."""

    type: Literal["wrong_way"]
    start_s: float = Field(0.0, ge=0)
    road: str | None = None
    speed_kmh: float = Field(25.0, gt=0, le=120)
    kind: Literal["car", "van", "motorcycle", "bicycle"] = "car"


class RestrictedEntry(_Base):
    """A person who walks into restricted zone ``zone`` and stays ``dwell_s``."""

    type: Literal["restricted_entry"]
    start_s: float = Field(0.0, ge=0)
    dwell_s: float = Field(60.0, gt=0)
    zone: str | None = None


Infraction = Annotated[Union[Speeding, NoParking, WrongWay, RestrictedEntry], Field(discriminator="type")]


class TrafficScenario(_Base):
    """Road users to spawn and infractions to stage; ``seed`` drives every random choice."""

    seed: int = 0
    vehicles: int = Field(150, ge=0)
    parked: int = Field(80, ge=0)
    pedestrians: int = Field(120, ge=0)
    plaza_pedestrians: int = Field(30, ge=0)
    vehicle_mix: dict[str, float] | None = None
    signal_cycle_s: float = Field(40.0, gt=4)
    infractions: list[Infraction] = Field(default_factory=list)


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and field."""


def load_scenario(path: str | Path) -> TrafficScenario:
    """Read a YAML/JSON scenario (a ``traffic:`` section is used when present)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc}") from exc
    if isinstance(data, dict) and "traffic" in data:
        data = data["traffic"]
    try:
        return TrafficScenario.model_validate(data or {})
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ScenarioError(f"{path}: invalid scenario: {fields}") from exc
