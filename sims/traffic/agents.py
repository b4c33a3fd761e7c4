"""Agent kinds (sizes, speeds, colours) and the detector classes they belong to."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Detector classes, in the order of the dataset's data.yaml.
CLASSES: tuple[str, ...] = ("car", "truck", "bus", "motorcycle", "bicycle", "person")


@dataclass(frozen=True)
class AgentKind:
    """A kind of road user: detector class, body size ranges (m), cruise speed range (m/s), IDM limits."""

    name: str
    cls: str
    length: tuple[float, float]
    width: tuple[float, float]
    height: tuple[float, float]
    speed: tuple[float, float]
    accel: float
    decel: float
    vehicle: bool = True


KINDS: dict[str, AgentKind] = {k.name: k for k in (
    AgentKind("car", "car", (4.0, 4.9), (1.7, 1.9), (1.4, 1.6), (0.0, 0.0), 2.0, 3.0),
    AgentKind("van", "truck", (5.0, 6.0), (1.95, 2.1), (2.0, 2.6), (0.0, 0.0), 1.6, 2.8),
    AgentKind("truck", "truck", (7.0, 10.0), (2.4, 2.55), (3.0, 3.6), (0.0, 0.0), 1.0, 2.5),
    AgentKind("bus", "bus", (11.5, 12.5), (2.5, 2.55), (3.0, 3.3), (0.0, 0.0), 1.0, 2.5),
    AgentKind("motorcycle", "motorcycle", (2.0, 2.2), (0.7, 0.85), (1.3, 1.5), (0.0, 0.0), 3.0, 4.0),
    AgentKind("bicycle", "bicycle", (1.7, 1.85), (0.55, 0.65), (1.6, 1.8), (4.0, 6.5), 1.0, 2.0),
    AgentKind("person", "person", (0.45, 0.6), (0.4, 0.5), (1.55, 1.9), (1.0, 1.6), 1.0, 2.0, vehicle=False),
)}

#: Default mix of moving road vehicles (probabilities over KINDS names).
VEHICLE_MIX: dict[str, float] = {"car": 0.72, "van": 0.1, "truck": 0.04, "bus": 0.04, "motorcycle": 0.05, "bicycle": 0.05}

#: Body colours (BGR) with weights, like a real car park: white, grey, black dominate.
CAR_COLOURS = np.array([(235, 235, 235), (190, 192, 195), (40, 40, 42), (120, 122, 125), (40, 40, 170),
                        (150, 80, 30), (90, 50, 20), (60, 100, 40), (40, 180, 220), (30, 110, 200), (200, 210, 215)])
CAR_COLOUR_P = np.array([0.22, 0.18, 0.16, 0.12, 0.07, 0.07, 0.05, 0.04, 0.03, 0.03, 0.03])
CLOTHES = np.array([(40, 40, 40), (150, 60, 20), (30, 30, 140), (200, 200, 200), (60, 120, 60), (90, 60, 40),
                    (30, 160, 200), (120, 40, 120)])


def class_index(cls: str) -> int:
    """Index of a detector class name in CLASSES (ValueError names it)."""
    try:
        return CLASSES.index(cls)
    except ValueError:
        raise ValueError(f"unknown class {cls!r}; expected one of {CLASSES}") from None


def body_colour(rng: np.random.Generator, kind: str) -> np.ndarray:
    """A plausible body colour (BGR, uint8) for one agent of ``kind``."""
    if kind == "bus":
        return np.array([(30, 140, 220), (200, 120, 40), (40, 40, 180)][rng.integers(3)], np.uint8)
    if kind == "person" or kind == "bicycle":
        return CLOTHES[rng.integers(len(CLOTHES))].astype(np.uint8)
    if kind in ("truck", "van") and rng.random() < 0.6:
        return np.array((235, 235, 235), np.uint8)
    return CAR_COLOURS[rng.choice(len(CAR_COLOURS), p=CAR_COLOUR_P)].astype(np.uint8)
