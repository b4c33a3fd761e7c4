"""Run one scenario end to end in LOCKSTEP and write its report.

The runner owns sim time. Each loop turn advances every vehicle by one step of ``dt`` (the camera period
while a drone patrols, 0.1 s otherwise), ticks the traffic by the same ``dt`` once the first patrol has
started, renders each patrolling drone's camera from the vehicle's TRUE pose, and hands the frame of the
previous turn to that drone's onboard app, by which time the (noisy, delayed) telemetry covering it has
arrived over the companion MAVLink link. Frames are stamped with the vehicle's unix clock (epoch + sim
seconds), the same clock as its SYSTEM_TIME, so the pose reader maps autopilot time onto frame time
exactly. The flight controller runs in its own thread against the vehicle's TCP port, on wall-clock
timeouts; sim time is capped at ``speedup`` x wall time so it can keep up.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from aeropatrol.scenario_config import Scenario

log = logging.getLogger(__name__)

PATROL_PHASES = {"patrol", "retask", "resuming"}


@dataclass
class RunResult:
    """What a run produced: where things are, the metrics, and whether every component succeeded."""

    out_dir: Path
    ok: bool
    failures: list[str]
    metrics: dict = field(default_factory=dict)
    report_md: Path | None = None
    report_html: Path | None = None


def default_model() -> str | None:
    """The sims-trained detector shipped in models/ (None when absent)."""
    repo = Path(__file__).resolve().parents[2]
    shipped = sorted((repo / "models").glob("*.pt")) + sorted((repo / "models").glob("*.onnx"))
    return str(shipped[0]) if shipped else None


def _make_detector(scenario: Scenario):
    """One detector shared by every drone's pipeline (the runner calls them one at a time)."""
    if scenario.vision.oracle or not scenario.vision.enabled:
        return None, "oracle (true boxes + 1 px noise)" if scenario.vision.oracle else "none"
    from vision.detector import DetectorConfig, make_detector
    from vision.models import configure_ultralytics

    configure_ultralytics()
    model = scenario.vision.model or default_model()
    if model is None:
        raise FileNotFoundError("no detector in models/ and none given (vision.model); use vision.oracle: true")
    det = make_detector(DetectorConfig(model=model, backend="torch", imgsz=scenario.vision.imgsz,
                                       conf=scenario.vision.conf, iou=scenario.vision.iou))
    det.warmup((scenario.camera.height, scenario.camera.width))
    return det, Path(model).name


class _NullDetector:
    """Stands in when detections are always supplied (oracle) or vision is off."""

    imgsz = 640

    def detect(self, image):  # pragma: no cover - never called: detections are always given
        raise RuntimeError("no detector configured")

    def warmup(self, shape) -> None:
        return None


def run_scenario(scenario: Scenario, out_dir: str | Path, *, progress: bool = True) -> RunResult:
    """Fly ``scenario`` and write the report under ``out_dir``; never leaves a thread or socket behind."""
    from aeropatrol.scenario.logs import component_logs

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with component_logs(out / "logs"):
        return _Run(scenario, out, progress).run()


class _Run:
    """The state of one run (kept out of module scope; one instance per run)."""

    def __init__(self, scenario: Scenario, out: Path, progress: bool) -> None:
        self.s, self.out, self.progress = scenario, out, progress
        self.failures: list[str] = []
        self.drones: list = []
        self.world = None
        self.ground = None
        self.wall = {"setup": 0.0, "sim_vehicle": 0.0, "traffic": 0.0, "render": 0.0, "onboard": 0.0,
                     "wait_flight": 0.0, "drain": 0.0, "report": 0.0}
        self.traffic_t0: float | None = None
        self.cut_log: list[dict] = []
        self.model_name = ""

    # -- top level ----------------------------------------------------------------------------------
    def run(self) -> RunResult:
        t0 = time.perf_counter()
        metrics: dict = {}
        md = html = None
        try:
            self._setup()
            self.wall["setup"] = time.perf_counter() - t0
            self._loop()
            self._finish_onboard()
            self._drain()
        except Exception as exc:  # noqa: BLE001 (a component failure is reported, then cleaned up)
            log.exception("scenario run failed")
            self.failures.append(f"run: {exc!r}")
        finally:
            self._stop_links_and_flight()
        try:
            t1 = time.perf_counter()
            from aeropatrol.scenario.metrics import compute_metrics
            from aeropatrol.scenario.report import write_report

            metrics = compute_metrics(self)
            self.wall["report"] = time.perf_counter() - t1
            metrics["wall_s"] = dict(self.wall, total=time.perf_counter() - t0)
            md, html = write_report(self, metrics)
        except Exception as exc:  # noqa: BLE001
            log.exception("report failed")
            self.failures.append(f"report: {exc!r}")
        finally:
            self._close_apps()
        ok = not self.failures
        return RunResult(self.out, ok, list(self.failures), metrics, md, html)

    # -- set-up -------------------------------------------------------------------------------------
    def _setup(self) -> None:
        import json

        import numpy as np

        from aeropatrol.onboard import OnboardApp, OnboardSettings
        from aeropatrol.scenario.drone import DroneSide, companion_clock, make_vehicle
        from aeropatrol.scenario.ground import GroundSide
        from aeropatrol.scenario.plan import drone_home, plan_patrol
        from aeropatrol.scenario.world import DroneCamera, SimWorld
        from vision.pipeline import OnboardConfig, OnboardPipeline
        from vision.tracking.image import ImageTrackerConfig

        s = self.s
        log.info("scenario %s: building town seed %d and traffic", s.name, s.town.seed)
        self.world = SimWorld(s)
        zones_path = self.out / "zones.geojson"
        zones_path.write_text(json.dumps(self.world.zones_geojson()))
        self.zones_path = zones_path
        self.ground = GroundSide(self.out / "ground" / "inbox.db")
        (self.out / "ground").mkdir(exist_ok=True)
        self.ground.start()
        detector, self.model_name = _make_detector(s)
        epoch = time.time()
        for i, d in enumerate(s.drones):
            home = drone_home(self.world.town, d)
            plan = plan_patrol(self.world.town, d)
            vehicle = make_vehicle(s, d, i, home, epoch)
            side = DroneSide(d, vehicle, plan, self.out / d.id)
            side.out_dir.mkdir(exist_ok=True)
            side.camera = DroneCamera(self.world, s.camera.width, s.camera.height, s.camera.hfov_deg,
                                      s.camera.noise_sigma, s.seed + i)
            side.start_companion(companion_clock(vehicle))
            pipeline = OnboardPipeline(OnboardConfig(vehicle_id=d.id, camera=side.camera.model,
                                                     association=s.vision.association,
                                                     tracker=ImageTrackerConfig(match_thresh=s.vision.track_match_thresh),
                                                     ground_alt_m=self.world.ground_alt_m, patrol_id=f"{s.name}-{d.id}",
                                                     pose_wait_s=0.5),
                                       detector=detector or _NullDetector(), pose=side.pose_reader)
            proxy = self.ground.proxy_for(d.id)
            settings = OnboardSettings(vehicle_id=d.id, fleet=self.ground.fleet, patrol_id=f"{s.name}-{d.id}",
                                       zones=str(zones_path), rules=s.rules, store_path=side.out_dir / "onboard.db",
                                       evidence_root=side.out_dir / "evidence", link_connect=(proxy.endpoint,),
                                       link_kbps=s.link.budget_kbps, ground_alt_m=self.world.ground_alt_m)
            side.app = OnboardApp(settings, pipeline, side.camera.model).start_link()
            side.next_frame_s = 0.0
            side.oracle_rng = np.random.default_rng(s.seed + 100 + i)
            self.drones.append(side)
        for side in self.drones:
            side.start_flight()

    # -- the lockstep loop ---------------------------------------------------------------------------
    def _loop(self) -> None:
        s = self.s
        cam_dt = 1.0 / s.camera.fps
        idle_dt = 0.1
        bar = _Progress(self.progress, s.duration_s)
        wall0, sim0 = time.monotonic(), self._now()
        next_streams = 0.0
        next_track = 0.0
        next_log = 0.0
        try:
            while True:
                now = self._now()
                if all(d.done for d in self.drones):
                    break
                if now > s.duration_s:
                    self.failures.append(f"sim time limit {s.duration_s:.0f} s reached before every drone landed")
                    break
                patrolling = [d for d in self.drones if d.phase in PATROL_PHASES]
                dt = cam_dt if (patrolling and s.vision.enabled) else idle_dt
                t = time.perf_counter()
                for d in self.drones:
                    d.vehicle.advance(dt)
                self.wall["sim_vehicle"] += time.perf_counter() - t
                now = self._now()
                if self.traffic_t0 is None and any(d.patrol_started_s is not None for d in self.drones):
                    # the traffic's first tick (below) ends at `now`: traffic time = now - traffic_t0 + warmup
                    self.traffic_t0 = now - dt
                    log.info("patrol started at sim %.1f s: traffic and camera clocks run from here", now)
                if self.traffic_t0 is not None:
                    t = time.perf_counter()
                    self.world.tick(dt)
                    self.wall["traffic"] += time.perf_counter() - t
                    self._link_faults(now - self.traffic_t0)
                if now >= next_streams:  # companions re-ask for streams until telemetry flows
                    next_streams = now + 5.0
                    for d in self.drones:  # (a reconnected TCP link is a new link to the vehicle: no streams)
                        if d.pose_reader.samples == getattr(d, "samples_seen", -1) or d.pose_reader.samples == 0:
                            d.request_streams()
                        d.samples_seen = d.pose_reader.samples
                if now >= next_log:
                    next_log = now + 30.0
                    log.info("sim %.0f s, wall %.0f s, frames %d, %s", now, time.monotonic() - wall0,
                             sum(d.frames for d in self.drones), ", ".join(f"{d.spec.id} {d.phase}" for d in self.drones))
                if now >= next_track:
                    next_track = now + 1.0
                    for d in self.drones:
                        p = d.vehicle.true_pose()
                        d.track.append((now, p.lat, p.lon, p.alt_amsl_m, d.phase))
                for d in self.drones:
                    self._camera(d, now, patrolling)
                bar.update(now, sum(d.frames for d in self.drones), " ".join(f"{d.spec.id}:{d.phase}" for d in self.drones))
                if s.speedup > 0:  # never run sim time faster than speedup x wall time
                    ahead = (now - sim0) / s.speedup - (time.monotonic() - wall0)
                    if ahead > 0:
                        time.sleep(min(ahead, 0.5))
        finally:
            bar.close()
        for d in self.drones:  # frames still held
            while d.pending:
                self._process(d, d.pending.pop(0))

    def _now(self) -> float:
        return self.drones[0].vehicle.clock.now

    def _camera(self, d, now: float, patrolling: list) -> None:
        """Process the frame held from the previous turn, then render a new one if the drone patrols."""
        if d.pending:
            self._process(d, d.pending.pop(0))
        if d in patrolling and self.s.vision.enabled and now >= d.next_frame_s:
            d.next_frame_s = now + 1.0 / self.s.camera.fps - 1e-6
            t = time.perf_counter()
            unix = d.vehicle.clock.unix_time()
            image, truth = d.camera.render(d.vehicle.true_pose(), unix, d.frames)
            self.wall["render"] += time.perf_counter() - t
            d.frames += 1
            d.pending.append((image, truth))

    def _process(self, d, item) -> None:
        """Give one held frame to the drone's onboard app and keep what scoring needs."""
        import numpy as np

        from vision.classes import CLASSES
        from vision.detections import Detections
        from vision.sources import Frame

        image, truth = item
        given = None
        if self.s.vision.oracle:
            objs = truth.objects
            boxes = np.array([o[2] for o in objs], float).reshape(-1, 4)
            given = Detections(boxes + d.oracle_rng.normal(0, 1.0, boxes.shape), np.full(len(objs), 0.9),
                               np.array([CLASSES.index(o[1]) for o in objs], int))
        t = time.perf_counter()
        outcome = d.app.handle(Frame(image, truth.time_s, truth.frame_id), detections=given)
        self.wall["onboard"] += time.perf_counter() - t
        d.truth_frames.append(truth)
        d.predictions.append((truth.frame_id, outcome.detections, outcome.updates))

    def _link_faults(self, patrol_s: float) -> None:
        """Cut / restore every drone's data-link relay per the scenario's cuts (sim seconds from patrol start)."""
        cut = any(c.start_s <= patrol_s < c.start_s + c.duration_s for c in self.s.link.cuts)
        for vid, proxy in self.ground.proxies.items():
            if cut and not proxy.is_cut:
                proxy.cut()
                self.cut_log.append({"vehicle": vid, "event": "cut", "patrol_s": round(patrol_s, 2), "wall": time.time()})
                log.info("data link of %s CUT at patrol t=%.1f s", vid, patrol_s)
            elif not cut and proxy.is_cut:
                proxy.restore()
                self.cut_log.append({"vehicle": vid, "event": "restore", "patrol_s": round(patrol_s, 2), "wall": time.time()})
                log.info("data link of %s restored at patrol t=%.1f s", vid, patrol_s)

    # -- the end ------------------------------------------------------------------------------------
    def _finish_onboard(self) -> None:
        for proxy in self.ground.proxies.values():
            if proxy.is_cut:
                proxy.restore()
                self.cut_log.append({"event": "restore (end of run)", "wall": time.time()})
        for d in self.drones:
            d.app.finish()
            if d.error:
                self.failures.append(f"{d.spec.id}: {d.error}")
            res = d.result
            if res is None or not res.ok:
                self.failures.append(f"{d.spec.id}: flight did not complete "
                                     f"({getattr(res, 'outcome', 'no result')}: {getattr(res, 'reason', '')})")

    def _drain(self) -> None:
        """Wait until the ground has acknowledged everything every drone committed (or the timeout)."""
        t0 = time.perf_counter()
        deadline = time.monotonic() + self.s.link.drain_timeout_s
        while time.monotonic() < deadline:
            if all(d.app.backlog() == 0 for d in self.drones):
                break
            for d in self.drones:
                if d.app.link is not None:
                    d.app.link.notify_outbox()
            time.sleep(0.5)
        self.wall["drain"] = time.perf_counter() - t0
        left = {d.spec.id: d.app.backlog() for d in self.drones}
        if any(left.values()):
            self.failures.append(f"data link: items not acknowledged after {self.s.link.drain_timeout_s:.0f} s: {left}")

    def _stop_links_and_flight(self) -> None:
        for d in self.drones:
            try:
                d.stop_flight_and_companion()
            except Exception as exc:  # noqa: BLE001
                log.warning("stopping %s: %s", d.spec.id, exc)
        for d in self.drones:
            if d.app is not None and d.app.link is not None:
                self.link_stats = getattr(self, "link_stats", {})
                self.link_stats[d.spec.id] = d.app.link.stats()
                d.app.link.stop()
                d.app.link = None
        if self.ground is not None:
            self.relay_bytes = {vid: p.bytes_relayed for vid, p in self.ground.proxies.items()}
            self.ground_stats = self.ground.link.stats() if self.ground.link is not None else None
            self.delivered = self.ground.delivered() if self.ground.link is not None else (set(), set())
            self.ground.stop()
        for d in self.drones:
            d.vehicle.close()

    def _close_apps(self) -> None:
        for d in self.drones:
            if d.app is not None:
                d.app.close()


class _Progress:
    """A rich progress bar over sim time with frames processed (plain log lines when not a terminal)."""

    def __init__(self, enabled: bool, total_s: float) -> None:
        self.bar = None
        self._last = 0.0
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("sim {task.completed:>6.1f} s"), BarColumn(), TextColumn("{task.fields[info]}"),
                                TimeElapsedColumn(), transient=False)
            self.task = self.bar.add_task("sim", total=total_s, info="")
            self.bar.start()

    def update(self, sim_s: float, frames: int, phases: str) -> None:
        if self.bar is not None and time.monotonic() - self._last > 0.25:
            self._last = time.monotonic()
            self.bar.update(self.task, completed=sim_s, info=f"frames {frames}  {phases}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
