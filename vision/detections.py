"""Detections of one frame as parallel numpy arrays (boxes, confidences, our class indices)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision.classes import CLASSES


@dataclass
class Detections:
    """N boxes in pixel xyxy, confidences and class indices into ``CLASSES``; also a results-like object
    for ultralytics' trackers (``conf``, ``cls``, ``xywh``, boolean indexing)."""

    xyxy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    conf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    cls: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        self.conf = np.asarray(self.conf, dtype=np.float32).reshape(-1)
        self.cls = np.asarray(self.cls, dtype=np.int64).reshape(-1)
        if not len(self.xyxy) == len(self.conf) == len(self.cls):
            raise ValueError(f"Detections: xyxy/conf/cls lengths differ ({len(self.xyxy)}, {len(self.conf)}, {len(self.cls)})")

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: np.ndarray | slice | list[int]) -> "Detections":
        return Detections(self.xyxy[index], self.conf[index], self.cls[index])

    @property
    def xywh(self) -> np.ndarray:
        """Boxes as centre x, centre y, width, height."""
        xy = (self.xyxy[:, :2] + self.xyxy[:, 2:]) / 2.0
        wh = self.xyxy[:, 2:] - self.xyxy[:, :2]
        return np.concatenate([xy, wh], axis=1)

    @property
    def names(self) -> list[str]:
        """Class names of the boxes."""
        return [CLASSES[i] for i in self.cls]

    @classmethod
    def concat(cls, parts: list["Detections"]) -> "Detections":
        """Join detections from several sources (e.g. slices)."""
        if not parts:
            return cls()
        return cls(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.conf for p in parts]),
                   np.concatenate([p.cls for p in parts]))

    def to_json(self) -> list[dict]:
        """A list of {cls, confidence, bbox_xyxy} dicts for printing."""
        return [
            {"cls": CLASSES[c], "confidence": round(float(s), 4), "bbox_xyxy": [round(float(v), 1) for v in b]}
            for b, s, c in zip(self.xyxy, self.conf, self.cls)
        ]
