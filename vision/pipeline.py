"""The onboard pipeline: frames + pose -> detections -> image tracks -> ground tracks -> ``TrackUpdate``s.

``OnboardPipeline(config).run(frames, on_update=...)`` is the entry the system wiring uses
(``aeropatrol onboard``); ``process(frame)`` handles one frame for callers with their own loop.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from datalink.messages import TrackUpdate
from geo.camera import CameraModel
from geo.frames import LocalFrame
from geo.interpolation import PoseInterpolationError
from geo.pose import PoseSample
from vision.classes import CLASSES
from vision.detections import Detections
from vision.detector import Detector, DetectorConfig, make_detector
from vision.georef import Georeferencer
from vision.outputs import StatusLine, TrackLog
from vision.pose import PoseReader
from vision.slicing import SliceConfig, SlicedDetector, should_slice
from vision.sources import Frame
from vision.tracking.ground import GroundConfig, GroundState, GroundTracker
from vision.tracking.image import ImageTracker, ImageTrackerConfig

log = logging.getLogger(__name__)


@dataclass
class OnboardConfig:
    """Everything the onboard pipeline needs besides frames and telemetry."""

    vehicle_id: str = "drone1"
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    camera: CameraModel | None = None  # None: square pixels, centred, ``hfov_deg`` over the first frame's size
    hfov_deg: float = 70.0
    ground_alt_m: float | None = None  # flat ground AMSL; None: the home altitude from telemetry
    dem: object | None = None  # a geo DEM (``.height(lat, lon)``) instead of flat ground
    contact: str = "midheight"
    #: "ground": associate georeferenced detections with the ground tracks directly (two-stage, vectorised,
    #: no torch; measured better and ~10x cheaper than ultralytics' trackers, docs/vision.md);
    #: "image": ultralytics' image tracker (``tracker``) first, its ids then mapped to ground tracks
    association: str = "ground"
    #: also offer detections the image tracker left unassociated (unconfirmed, lost) to the ground tracks
    associate_untracked: bool = False
    tracker: ImageTrackerConfig = field(default_factory=ImageTrackerConfig)
    ground: GroundConfig = field(default_factory=GroundConfig)
    slicing: SliceConfig = field(default_factory=lambda: SliceConfig(mode="off"))
    pose_wait_s: float = 0.25  # wait this long for telemetry newer than a frame
    max_range_m: float = 1500.0
    patrol_id: str = ""


@dataclass
class FrameResult:
    """Output of one frame: the track updates, the raw detections, the pose used and timings (s)."""

    frame: Frame
    updates: list[TrackUpdate]
    detections: Detections
    pose: PoseSample | None
    sliced: bool
    timings: dict[str, float]


@dataclass
class PipelineStats:
    """Totals of a run."""

    frames: int = 0
    no_pose: int = 0
    updates: int = 0
    dropped: int = 0
    errors: int = 0
    detect_s: float = 0.0
    total_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)


class OnboardPipeline:
    """Frames + pose in, georeferenced tracks with speeds out (see module docstring)."""

    def __init__(self, config: OnboardConfig | None = None, detector: Detector | None = None,
                 pose: PoseReader | None = None) -> None:
        self.config = config or OnboardConfig()
        self.detector = detector or make_detector(self.config.detector)
        self.sliced_detector: SlicedDetector | None = None
        self.pose = pose or PoseReader()
        if self.config.association not in ("ground", "image"):
            raise ValueError(f"association {self.config.association!r}: expected 'ground' or 'image'")
        self.image_tracker = ImageTracker(self.config.tracker) if self.config.association == "image" else None
        self.ground = GroundTracker(self.config.ground)
        self.georef: Georeferencer | None = None
        self.stats = PipelineStats()
        self._boxes: dict[int, tuple[float, float, float, float]] = {}

    # -- set-up -----------------------------------------------------------------------------------
    def warmup(self, shape: tuple[int, int] = (720, 1280)) -> None:
        """Run the detector once so the first measured frame is not the slow one."""
        self.detector.warmup(shape)

    def _georeferencer(self, frame: Frame, pose: PoseSample) -> Georeferencer:
        if self.georef is None:
            h, w = frame.image.shape[:2]
            camera = self.config.camera or CameraModel.from_hfov(w, h, self.config.hfov_deg)
            if (camera.width, camera.height) != (w, h):
                raise ValueError(f"camera model is {camera.width}x{camera.height} but frames are {w}x{h}")
            ground_alt = self.config.ground_alt_m
            if ground_alt is None:
                ground_alt = self.pose.home_alt_m if self.pose.home_alt_m is not None else pose.alt_amsl_m - 100.0
                log.info("flat ground at %.1f m AMSL (%s)", ground_alt,
                         "home altitude" if self.pose.home_alt_m is not None else "pose altitude - 100 m: no home known")
            origin = LocalFrame(pose.lat, pose.lon, float(ground_alt), name="tracks")
            ground = self.config.dem if self.config.dem is not None else float(ground_alt)
            self.georef = Georeferencer(camera, origin, ground, self.config.contact, max_range_m=self.config.max_range_m)
        return self.georef

    # -- one frame --------------------------------------------------------------------------------
    def process(self, frame: Frame, detections: Detections | None = None) -> FrameResult:
        """Detect, track and georeference one frame (``detections`` given: use them instead of the model)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        try:
            pose = self.pose.pose_at(frame.time_s, self.config.pose_wait_s)
        except PoseInterpolationError as exc:
            pose = None
            self.stats.no_pose += 1
            log.debug("frame %d: no pose (%s)", frame.frame_id, exc)
        sliced = False
        detector: Detector = self.detector
        georef = self._georeferencer(frame, pose) if pose is not None else self.georef
        if detections is None and pose is not None and self.config.slicing.mode != "off" and georef is not None:
            sliced = should_slice(self.config.slicing, georef.gsd_m(pose), frame.image.shape[1], self.detector.imgsz)
            if sliced:
                if self.sliced_detector is None:
                    self.sliced_detector = SlicedDetector(self.detector, self.config.slicing)
                detector = self.sliced_detector
        t1 = time.perf_counter()
        dets = detector.detect(frame.image) if detections is None else detections
        t2 = time.perf_counter()
        if self.image_tracker is not None:
            track_ids, det_idx = self.image_tracker.update(dets, frame.image)
        t3 = time.perf_counter()
        updates: list[TrackUpdate] = []
        if self.image_tracker is None:
            if pose is not None and georef is not None and len(dets):
                fixes = georef.locate(pose, dets)
                state = self.ground.track(frame.time_s, dets.cls, dets.conf, fixes.en, fixes.cov, dets.xyxy)
                updates = self._updates(frame, state, dets.xyxy[state.rows], georef)
        elif pose is not None and georef is not None and len(dets):
            ids = np.full(len(dets), -1, np.int64)
            ids[det_idx] = track_ids
            if self.config.associate_untracked:
                rows = np.flatnonzero((ids >= 0) | (dets.conf >= self.config.tracker.new_track_thresh))
            else:
                rows = np.sort(det_idx)
            sub = dets[rows]
            fixes = georef.locate(pose, sub)
            state = self.ground.update(frame.time_s, ids[rows], sub.cls, sub.conf, fixes.en, fixes.cov)
            updates = self._updates(frame, state, sub.xyxy[state.rows], georef)
        t4 = time.perf_counter()
        timings.update(pose=t1 - t0, detect=t2 - t1, image_track=t3 - t2, ground=t4 - t3, total=t4 - t0)
        self.stats.frames += 1
        self.stats.updates += len(updates)
        self.stats.detect_s += t2 - t1
        self.stats.total_s += t4 - t0
        return FrameResult(frame, updates, dets, pose, sliced, timings)

    def _updates(self, frame: Frame, state: GroundState, boxes: np.ndarray, georef: Georeferencer) -> list[TrackUpdate]:
        """Ground states -> TrackUpdate messages (WGS84, km/h, compass heading)."""
        if not len(state.track_id):
            return []
        lat, lon, alt = georef.frame.to_wgs84(state.en[:, 0], state.en[:, 1], np.zeros(len(state.track_id)))
        speed = state.speed_mps * 3.6
        speed_sigma = state.speed_sigma_mps * 3.6
        heading = state.heading_deg
        sigma = state.sigma_m
        vc = state.vel_cov
        out = []
        for i in range(len(state.track_id)):
            out.append(TrackUpdate(
                vehicle_id=self.config.vehicle_id, track_id=int(state.track_id[i]), cls=CLASSES[int(state.cls[i])],
                confidence=float(min(max(state.confidence[i], 0.0), 1.0)), time_s=float(frame.time_s),
                lat=float(lat[i]), lon=float(lon[i]), alt_m=float(alt[i]), sigma_m=float(sigma[i]),
                vel_e_mps=float(state.vel[i, 0]), vel_n_mps=float(state.vel[i, 1]), speed_kmh=float(speed[i]),
                speed_sigma_kmh=float(speed_sigma[i]), heading_deg=float(heading[i]),
                first_seen_s=float(state.first_seen_s[i]), last_seen_s=float(state.last_seen_s[i]),
                frame_id=int(frame.frame_id), bbox_xyxy=tuple(float(v) for v in boxes[i]),
                vel_cov=(float(vc[i, 0, 0]), float(vc[i, 0, 1]), float(vc[i, 1, 1])), patrol_id=self.config.patrol_id,
            ))
        return out

    # -- a whole run ------------------------------------------------------------------------------
    def results(self, frames: Iterable[Frame], max_frames: int | None = None) -> Iterator[FrameResult]:
        """Process frames one by one, yielding each result; a frame that fails (corrupt image, wrong size)
        is logged, counted in ``stats.errors`` and skipped — it never stops the run."""
        for k, frame in enumerate(frames):
            if max_frames is not None and k >= max_frames:
                return
            try:
                self._check(frame)
                yield self.process(frame)
            except (ValueError, RuntimeError, ArithmeticError) as exc:
                self.stats.errors += 1
                log.warning("frame %s skipped: %s", getattr(frame, "frame_id", "?"), exc)

    @staticmethod
    def _check(frame: Frame) -> None:
        """Reject a frame the detector cannot read, naming what is wrong."""
        img = frame.image
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or 0 in img.shape:
            shape = getattr(img, "shape", None)
            raise ValueError(f"frame {frame.frame_id}: expected an HxWx3 uint8 BGR image, got {type(img).__name__} {shape}")
        if not math.isfinite(frame.time_s):
            raise ValueError(f"frame {frame.frame_id}: capture time {frame.time_s!r} is not finite")

    def run(self, frames: Iterable[Frame], on_update: Callable[[list[TrackUpdate]], None] | None = None,
            track_log: TrackLog | None = None, status: StatusLine | None = None,
            max_frames: int | None = None, warmup: bool = True) -> PipelineStats:
        """Process frames until the source ends (or ``max_frames``); call ``on_update(updates)`` per frame
        with updates, write the tracks log and the live status line. Returns the totals."""
        if warmup:
            self.warmup()
        for result in self.results(frames, max_frames):
            latency = time.time() - result.frame.time_s
            self.stats.latencies_s.append(latency)
            dropped = int(getattr(frames, "dropped", 0))
            self.stats.dropped = dropped
            if result.updates:
                if on_update is not None:
                    on_update(result.updates)
                if track_log is not None:
                    track_log.write(result.updates)
            if status is not None:
                status.update(latency, len(self.ground), dropped, "sliced" if result.sliced else "")
        return self.stats


def median_ms(values: list[float]) -> float:
    """Median of seconds, in milliseconds (NaN when empty)."""
    return float(np.median(values) * 1000.0) if values else math.nan
