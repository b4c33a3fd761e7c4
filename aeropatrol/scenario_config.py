"""The scenario file testers write (YAML), validated with pydantic; errors name the file and field."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sims.traffic.scenario import TrafficScenario


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Home(_Strict):
    """Where the town is built (its centre) and the drones take off: WGS84, metres AMSL."""

    lat: float = Field(default=47.3977, ge=-80, le=84)
    lon: float = Field(default=8.5456, ge=-180, le=180)
    alt: float = Field(default=408.0, ge=-500, le=9000)


class Town(_Strict):
    """The procedural town: seed, placement and size (a square of 2 x half_extent_m)."""

    seed: int = 7
    home: Home = Home()
    half_extent_m: float = Field(default=300.0, ge=100, le=1000)


class Patrol(_Strict):
    """What a drone flies: a loop through ``waypoints`` (town ENU metres), a survey of ``area``, or a
    corridor along ``road``; times of scripted infractions and link cuts count from the patrol's start."""

    pattern: Literal["loop", "survey", "corridor"] = "loop"
    waypoints: list[tuple[float, float]] = Field(default_factory=lambda: [(-105.0, 115.0), (-105.0, -125.0),
                                                                         (120.0, -125.0), (120.0, 115.0)])
    area: list[tuple[float, float]] | None = None
    road: str | None = None
    altitude_m: float = Field(default=60.0, gt=10, le=120)
    speed_mps: float = Field(default=8.0, gt=0.5, le=20)
    laps: int = Field(default=1, ge=1, le=50)
    gimbal_pitch_deg: float = Field(default=-60.0, ge=-90, le=0)

    @model_validator(mode="after")
    def _shape(self) -> "Patrol":
        if self.pattern == "loop" and len(self.waypoints) < 2:
            raise ValueError("a loop needs at least 2 waypoints")
        if self.pattern == "survey" and (self.area is None or len(self.area) < 3):
            raise ValueError("a survey needs an area of at least 3 points")
        if self.pattern == "corridor" and not self.road:
            raise ValueError("a corridor needs a road id (e.g. road-ew3)")
        return self


class Drone(_Strict):
    """One simulated multicopter and its patrol."""

    id: str = Field(default="drone1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    flavour: Literal["ardupilot", "px4"] = "ardupilot"
    patrol: Patrol = Patrol()
    battery_pct: float = Field(default=100.0, gt=30, le=100)
    takeoff_offset_m: tuple[float, float] = (0.0, 0.0)


class Camera(_Strict):
    """The gimbal camera the town renders for (the rendering uses the TRUE pose)."""

    width: int = Field(default=640, ge=160, le=3840)
    height: int = Field(default=360, ge=120, le=2160)
    fps: float = Field(default=5.0, gt=0, le=30)
    hfov_deg: float = Field(default=70.0, gt=10, lt=170)
    noise_sigma: float = Field(default=2.0, ge=0, le=30)


class Wind(_Strict):
    """Steady wind plus gusts (the vehicle's SIM_WIND_* parameters)."""

    speed_mps: float = Field(default=0.0, ge=0, le=25)
    direction_deg: float = Field(default=0.0, ge=0, lt=360)
    gust_mps: float = Field(default=0.0, ge=0, le=15)


class Telemetry(_Strict):
    """Faults of the MAVLink links (the autopilot's own GPS/attitude noise model stays on)."""

    delay_s: float = Field(default=0.05, ge=0, le=2)
    loss_pct: float = Field(default=0.0, ge=0, le=50)


class LinkCut(_Strict):
    """A total cut of the onboard -> ground data link, in sim seconds from the patrol start."""

    start_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)


class Link(_Strict):
    """The onboard -> ground data link (Zenoh over TCP through a relay that can be cut)."""

    budget_kbps: float = Field(default=2000.0, gt=0)
    cuts: list[LinkCut] = []
    drain_timeout_s: float = Field(default=60.0, gt=0, le=600)


class Vision(_Strict):
    """Detector for the onboard pipeline; ``oracle`` feeds the true boxes (+1 px noise) instead."""

    enabled: bool = True
    model: str | None = None
    oracle: bool = False
    imgsz: int = Field(default=640, ge=160, le=1920)
    conf: float = Field(default=0.25, gt=0, lt=1)
    iou: float = Field(default=0.5, gt=0, lt=1, description="NMS IoU: lower merges duplicate boxes of one car")
    association: Literal["ground", "image"] = Field(default="ground", description="track association: on the "
                                                    "ground (vision's default) or ultralytics' image tracker")
    track_match_thresh: float = Field(default=0.9, gt=0, lt=1, description="image tracker only: 1 - minimum IoU to "
                                      "associate; fast vehicles overlap little between frames")


class Scenario(_Strict):
    """A whole SITL patrol: town, traffic with staged infractions (the sims schema), drones, camera, weather, faults."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = 1
    duration_s: float = Field(default=600.0, gt=0, le=7200, description="sim-time limit of the whole run")
    speedup: float = Field(default=10.0, gt=0, le=50, description="max sim seconds per wall second (the flight "
                           "controller runs on wall time and must keep up)")
    town: Town = Town()
    traffic: TrafficScenario = TrafficScenario()
    traffic_warmup_s: float = Field(default=20.0, ge=0, le=600)
    drones: list[Drone] = Field(default_factory=lambda: [Drone()], min_length=1, max_length=8)
    camera: Camera = Camera()
    wind: Wind = Wind()
    telemetry: Telemetry = Telemetry()
    link: Link = Link()
    vision: Vision = Vision()
    rules: str | None = None

    @model_validator(mode="after")
    def _unique_drones(self) -> "Scenario":
        ids = [d.id for d in self.drones]
        if len(ids) != len(set(ids)):
            raise ValueError(f"drone ids must be unique, got {ids}")
        return self


def load_scenario(path: str | Path, overrides: dict | None = None) -> Scenario:
    """Read and validate a scenario YAML file; ``overrides`` (e.g. seed, speedup) win over the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: top level must be a mapping")
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if isinstance(data.get("rules"), str) and not Path(data["rules"]).is_absolute():
        data["rules"] = str(path.parent / data["rules"])  # a rules file is named relative to the scenario
        if not Path(data["rules"]).is_file():
            raise ScenarioError(f"{path}: rules: file not found: {data['rules']}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "<top>"
        raise ScenarioError(f"{path}: {where}: {err['msg']}") from None
