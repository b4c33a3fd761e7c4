"""The six object classes AeroPatrol reports, and the mapping from a model's own class names to them."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

#: Our classes, in index order (the same tuple as ``datalink.messages.CLASSES``).
CLASSES: tuple[str, ...] = ("car", "truck", "bus", "motorcycle", "bicycle", "person")
VEHICLES: frozenset[str] = frozenset({"car", "truck", "bus", "motorcycle"})

#: Other spellings found in COCO, VisDrone, DOTA and fine-tuned models, mapped to ours.
ALIASES: dict[str, str] = {
    "motorbike": "motorcycle",
    "motor": "motorcycle",
    "bike": "bicycle",
    "pedestrian": "person",
    "people": "person",
    "van": "car",
    "small vehicle": "car",
    "small-vehicle": "car",
    "small_vehicle": "car",
    "large vehicle": "truck",
    "large-vehicle": "truck",
    "large_vehicle": "truck",
}

#: Typical object height (m): the georeferencer intersects the box-centre ray with a plane this high / 2.
OBJECT_HEIGHT_M: dict[str, float] = {
    "car": 1.5, "truck": 3.0, "bus": 3.0, "motorcycle": 1.4, "bicycle": 1.4, "person": 1.7,
}


def canonical(name: str) -> str | None:
    """Our class for a model's class name (case/space tolerant), or None when we do not report it."""
    key = name.strip().lower()
    if key in CLASSES:
        return key
    return ALIASES.get(key)


def class_map(model_names: Mapping[int, str] | list[str]) -> np.ndarray:
    """Array mapping a model's class index -> our class index (-1 = dropped)."""
    names = dict(enumerate(model_names)) if isinstance(model_names, list) else dict(model_names)
    size = max(names) + 1 if names else 0
    out = np.full(size, -1, dtype=np.int64)
    for idx, name in names.items():
        ours = canonical(str(name))
        if ours is not None:
            out[int(idx)] = CLASSES.index(ours)
    return out


def thresholds_array(conf: float | Mapping[str, float], default: float = 0.25) -> np.ndarray:
    """Per-class confidence thresholds as an array in ``CLASSES`` order; unknown names raise ValueError."""
    if isinstance(conf, Mapping):
        unknown = set(conf) - set(CLASSES)
        if unknown:
            raise ValueError(f"per-class thresholds: unknown class(es) {sorted(unknown)}; expected {CLASSES}")
        return np.array([float(conf.get(c, default)) for c in CLASSES], dtype=np.float32)
    return np.full(len(CLASSES), float(conf), dtype=np.float32)
