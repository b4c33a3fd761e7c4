"""Image-plane association with ultralytics' own trackers (BoT-SORT with camera-motion compensation, ByteTrack)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision.detections import Detections
from vision.models import configure_ultralytics


@dataclass
class ImageTrackerConfig:
    """The ultralytics tracker settings we expose (their meaning as in ultralytics' botsort.yaml)."""

    kind: str = "botsort"  # botsort | bytetrack
    track_high_thresh: float = 0.25
    track_low_thresh: float = 0.1
    new_track_thresh: float = 0.4  # measured on sims renders: fewer false tracks, higher IDF1 than 0.25
    track_buffer: int = 30  # frames a lost image track is kept
    match_thresh: float = 0.8
    fuse_score: bool = True
    gmc_method: str = "sparseOptFlow"  # BoT-SORT camera-motion compensation: sparseOptFlow|orb|sift|ecc|none
    gmc_downscale: int = 8  # GMC works on the frame shrunk by this (ultralytics' default 2 costs several times more)


class ImageTracker:
    """Wraps ``ultralytics.trackers.BOTSORT`` / ``BYTETracker``: detections in, (image track id, detection
    index) pairs out for the detections matched to a confirmed track in this frame."""

    def __init__(self, config: ImageTrackerConfig | None = None) -> None:
        configure_ultralytics()
        from ultralytics.trackers import BOTSORT, BYTETracker  # noqa: PLC0415 (heavy)
        from ultralytics.utils import IterableSimpleNamespace  # noqa: PLC0415

        self.config = config or ImageTrackerConfig()
        c = self.config
        args = IterableSimpleNamespace(
            tracker_type=c.kind, track_high_thresh=c.track_high_thresh, track_low_thresh=c.track_low_thresh,
            new_track_thresh=c.new_track_thresh, track_buffer=c.track_buffer, match_thresh=c.match_thresh,
            fuse_score=c.fuse_score, gmc_method=c.gmc_method, proximity_thresh=0.5, appearance_thresh=0.8,
            with_reid=False, model="auto",
        )
        if c.kind == "botsort":
            self.tracker = BOTSORT(args=args)
            self.tracker.gmc.downscale = max(1, int(c.gmc_downscale))
        elif c.kind == "bytetrack":
            self.tracker = BYTETracker(args=args)
        else:
            raise ValueError(f"image tracker kind {c.kind!r}: expected botsort or bytetrack")

    def update(self, detections: Detections, image: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Associate one frame's detections; returns (track_ids, detection_indices), int arrays of equal length."""
        out = self.tracker.update(detections, image)
        if out is None or not len(out):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        out = np.asarray(out)
        return out[:, 4].astype(np.int64), out[:, -1].astype(np.int64)

    def reset(self) -> None:
        """Forget every track (e.g. after a camera switch)."""
        self.tracker.reset()
