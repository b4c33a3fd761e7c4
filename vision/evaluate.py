"""Runs that produce (ground truth, predictions) pairs for ``vision.scoring``: the synthetic scene through
the real pipeline (tracking + georeferencing), or a tracks log read back from disk."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from datalink.messages import TrackUpdate
from vision.classes import CLASSES
from vision.detections import Detections
from vision.scoring import FramePrediction, GTFrame


def run_synthetic(seconds: float = 30.0, seed: int = 7, alt_agl_m: float = 80.0, n_cars: int = 12,
                  tracker: str = "ground", ground=None, **scene) -> tuple[list[GTFrame], list[FramePrediction]]:
    """The synthetic scene (occlusion at 8-9 s, camera panned away 14-17 s) through ``OnboardPipeline``
    with projected boxes as detections and noisy telemetry as the pose (``tracker``: "ground" association,
    or ultralytics' "bytetrack"/"botsort" in the image; ``ground``: a GroundConfig)."""
    from vision.pipeline import OnboardConfig, OnboardPipeline  # noqa: PLC0415
    from vision.sources import Frame  # noqa: PLC0415
    from vision.synthetic import SceneConfig, SyntheticScene  # noqa: PLC0415
    from vision.tracking.ground import GroundConfig  # noqa: PLC0415
    from vision.tracking.image import ImageTrackerConfig  # noqa: PLC0415

    cfg = SceneConfig(n_cars=n_cars, seed=seed, alt_agl_m=alt_agl_m, occlude=(8.0, 9.0), pan_away=(14.0, 17.0))
    for key, value in scene.items():
        setattr(cfg, key, value)
    world = SyntheticScene(cfg)
    pipeline = OnboardPipeline(
        OnboardConfig(camera=world.camera, ground_alt_m=cfg.ground_alt_m,
                      association="ground" if tracker == "ground" else "image",
                      tracker=ImageTrackerConfig(kind="bytetrack" if tracker == "ground" else tracker, gmc_method="none"),
                      ground=ground or GroundConfig()),
        detector=_NoModel(), pose=None)
    blank = np.zeros((cfg.height, cfg.width, 3), np.uint8)
    frames = list(world.frames(seconds))
    for _, pose, _, _ in frames:
        pipeline.pose.add(pose)
    gts, preds = [], []
    for t, _, dets, gt in frames:
        result = pipeline.process(Frame(blank, t, gt.frame_id), detections=dets)
        gts.append(gt)
        preds.append(FramePrediction(gt.frame_id, dets, result.updates))
    return gts, preds


class _NoModel:
    """Placeholder detector for runs whose detections are given with every frame."""

    imgsz = 640

    def detect(self, frame: np.ndarray) -> Detections:
        raise RuntimeError("this pipeline is fed detections with every frame")

    def warmup(self, shape: tuple[int, int] = (720, 1280)) -> None:
        return None


def load_tracks_log(path: str | Path) -> list[FramePrediction]:
    """A JSON-lines tracks log (``vision.outputs.TrackLog``) back into per-frame predictions; the track
    boxes double as the frame's detections."""
    by_frame: dict[int, list[TrackUpdate]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                d.pop("t", None)
                d["bbox_xyxy"] = tuple(d["bbox_xyxy"])
                if d.get("vel_cov") is not None:
                    d["vel_cov"] = tuple(d["vel_cov"])
                u = TrackUpdate(**d)
            except (ValueError, TypeError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: not a track update ({exc})") from None
            by_frame.setdefault(u.frame_id, []).append(u)
    out = []
    for fid, ups in sorted(by_frame.items()):
        dets = Detections(np.array([u.bbox_xyxy for u in ups], float), np.array([u.confidence for u in ups]),
                          np.array([CLASSES.index(u.cls) if u.cls in CLASSES else 0 for u in ups]))
        out.append(FramePrediction(fid, dets, ups))
    return out
