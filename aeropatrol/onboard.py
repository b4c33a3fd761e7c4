"""The onboard app: frames + MAVLink pose -> vision -> rules -> evidence -> durable store -> data link.

``OnboardApp.handle(frame)`` does one frame in the order that loses nothing: the vision pipeline turns it
into georeferenced track updates; the frame (privacy zones masked, bystanders blurred when a package is
cut) joins the evidence ring; the rules run; an infraction is committed to the onboard store *before* the
link is told (``notify_outbox``); tracks go out as latest-value batches. Used by ``aeropatrol onboard`` and
by the scenario runner (``aeropatrol sim run``), which calls ``handle`` in lockstep with the simulator.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from datalink.messages import TrackBatch, TrackUpdate

log = logging.getLogger(__name__)


@dataclass
class OnboardSettings:
    """What one onboard app needs besides its pipeline: ids, zones/rules, store and evidence paths, link."""

    vehicle_id: str = "drone1"
    fleet: str = "sitl"
    patrol_id: str = "patrol"
    zones: str | Path | dict = ""
    rules: str | Path | None = None
    store_path: str | Path = "onboard.db"
    evidence_root: str | Path = "evidence"
    link_listen: tuple[str, ...] = ()
    link_connect: tuple[str, ...] = ()
    link_kbps: float = 2000.0
    ground_alt_m: float | None = None
    pre_s: float = 3.0
    post_s: float = 2.0
    ring_s: float = 12.0


@dataclass
class StageTimes:
    """Wall seconds spent per stage (summed over frames), for the report's 'where the time goes' table."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, s: float) -> None:
        """Accumulate ``s`` seconds under ``stage``."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + s


@dataclass
class FrameOutcome:
    """What one frame produced: track updates, detections (for scoring), new infractions and packages."""

    updates: list[TrackUpdate]
    detections: Any
    infractions: list[Any]
    packages: list[Any]
    pose: Any


class OnboardApp:
    """One drone's companion computer: pipeline, infraction recorder, store and data link (see module doc)."""

    def __init__(self, settings: OnboardSettings, pipeline, camera_model=None) -> None:
        from infractions.onboard import FrameRing, InfractionRecorder
        from infractions.rules import RuleEngine, load_patrol_config
        from infractions.store import open_store

        self.settings = settings
        self.pipeline = pipeline
        self.camera_model = camera_model
        self.config = load_patrol_config(settings.zones, settings.rules)
        self.store = open_store(str(settings.store_path))
        self.store.records.add_patrol(settings.patrol_id, vehicle_id=settings.vehicle_id, name=settings.patrol_id)
        self.engine = RuleEngine(self.config.zones, self.config.rules, patrol_id=settings.patrol_id)
        self.recorder = InfractionRecorder(
            self.store, self.engine, evidence_root=Path(settings.evidence_root),
            frames=FrameRing(max_s=settings.ring_s),
            calibration=_calibration(camera_model), versions={"detector": str(getattr(pipeline.config.detector, "model", ""))},
            pre_s=settings.pre_s, post_s=settings.post_s)
        self.link = None
        self.times = StageTimes()
        self.frames = 0
        self.infractions: list[Any] = []
        self.packages: list[Any] = []
        self.updates_out = 0
        self.on_infraction: Callable[[Any], None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start_link(self) -> "OnboardApp":
        """Open the Zenoh data link (when an endpoint is configured), fed by the store's outbox."""
        s = self.settings
        if not (s.link_listen or s.link_connect):
            return self
        from datalink.budget import BudgetConfig
        from datalink.config import LinkConfig
        from datalink.onboard import OnboardLink

        self.link = OnboardLink(LinkConfig(listen=tuple(s.link_listen), connect=tuple(s.link_connect)), fleet=s.fleet,
                                vehicle_id=s.vehicle_id, outbox=self.store.outbox,
                                budget=BudgetConfig(kbps=s.link_kbps)).start()
        return self

    def finish(self) -> list[Any]:
        """End of patrol: close open rule episodes, cut every pending evidence package, announce them."""
        t0 = time.perf_counter()
        self.engine.finish()
        packages = self.recorder.finish()
        self.packages.extend(packages)
        self.times.add("evidence", time.perf_counter() - t0)
        if self.link is not None:
            self.link.notify_outbox()
        return packages

    def backlog(self) -> int:
        """Items committed onboard that the ground has not acknowledged yet."""
        return len(list(self.store.outbox.pending_ids())) if hasattr(self.store.outbox, "pending_ids") else \
            len(list(self.store.outbox.pending()))

    def close(self) -> None:
        """Stop the link and close the store (idempotent)."""
        if self.link is not None:
            self.link.stop()
            self.link = None
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- one frame ------------------------------------------------------------------------------
    def handle(self, frame, detections=None) -> FrameOutcome:
        """Process one frame end to end (see module docstring); ``detections`` bypasses the detector."""
        from infractions.evidence import Detection, FrameRecord

        result = self.pipeline.process(frame, detections=detections)
        for k, v in result.timings.items():
            if k != "total":
                self.times.add("detect" if k == "detect" else "track" if k in ("image_track", "ground") else k, v)
        self.frames += 1
        t0 = time.perf_counter()
        tid_by_box = {tuple(round(c, 1) for c in u.bbox_xyxy): u.track_id for u in result.updates}
        dets = result.detections
        det_list = []
        for i in range(len(dets)):
            box = tuple(float(c) for c in dets.xyxy[i])
            cls = _class_name(int(dets.cls[i]))
            det_list.append(Detection(tid_by_box.get(tuple(round(c, 1) for c in box)), cls, box))
        privacy = self._privacy(result.pose)
        telemetry = _telemetry(result.pose)
        packages = self.recorder.add_frame(FrameRecord(frame.frame_id, frame.time_s, frame.image, det_list, telemetry,
                                                      privacy))
        t1 = time.perf_counter()
        events = self.recorder.process(result.updates) if result.updates else []
        t2 = time.perf_counter()
        self.times.add("evidence", t1 - t0)
        self.times.add("rules", t2 - t1)
        self.infractions.extend(events)
        self.packages.extend(packages)
        if self.link is not None:
            if result.updates:
                self.link.publish_tracks(TrackBatch(self.settings.vehicle_id, float(frame.time_s), int(frame.frame_id),
                                                    list(result.updates)))
                self.updates_out += len(result.updates)
            if events or packages:
                self.link.notify_outbox()
        self.times.add("link", time.perf_counter() - t2)
        if self.on_infraction is not None:
            for ev in events:
                self.on_infraction(ev)
        return FrameOutcome(result.updates, dets, events, packages, result.pose)

    def _privacy(self, pose) -> list:
        """Pixel polygons of the privacy zones in this frame (empty without a pose or camera model)."""
        if pose is None or self.camera_model is None:
            return []
        from infractions.evidence import privacy_polygons_for_pose

        ground = self.settings.ground_alt_m
        if ground is None:
            ground = self.pipeline.pose.home_alt_m or 0.0
        from aeropatrol.privacy_view import visible_privacy_zones

        try:
            view = visible_privacy_zones(self.config.zones, pose, self.camera_model, float(ground))
            return privacy_polygons_for_pose(view, pose, self.camera_model, float(ground))
        except ValueError as exc:
            log.warning("privacy polygons: %s: the whole frame is masked", exc)
            w, h = self.camera_model.width, self.camera_model.height
            return [np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)]


def _class_name(index: int) -> str:
    from vision.classes import CLASSES

    return CLASSES[index] if 0 <= index < len(CLASSES) else str(index)


def _telemetry(pose) -> dict:
    """The pose used for a frame, as the evidence package's per-frame telemetry."""
    if pose is None:
        return {}
    return {"time_s": pose.time_s, "lat": pose.lat, "lon": pose.lon, "alt_amsl_m": pose.alt_amsl_m,
            "roll": pose.roll, "pitch": pose.pitch, "yaw": pose.yaw}


def _calibration(camera_model) -> dict:
    if camera_model is None:
        return {}
    return {k: getattr(camera_model, k) for k in ("width", "height", "fx", "fy", "cx", "cy") if hasattr(camera_model, k)}

