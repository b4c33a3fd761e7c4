"""The simulated world of a scenario: town, orthophoto, traffic with its ground-truth infraction monitor,
and one camera renderer per drone. Time only moves when the runner ticks it (lockstep)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from aeropatrol.scenario_config import Scenario


@dataclass
class TruthFrame:
    """Ground truth of one rendered frame: visible agents (id, class, box, lat/lon, speed)."""

    frame_id: int
    time_s: float
    objects: list = field(default_factory=list)


class SimWorld:
    """Town + traffic + renderers; ``tick(dt)`` advances the traffic and the truth monitor."""

    def __init__(self, scenario: Scenario) -> None:
        from sims.traffic.groundtruth import InfractionMonitor
        from sims.traffic.sim import TrafficSim
        from sims.world.ortho import render_orthophoto
        from sims.world.town import TownSpec, generate_town

        t = scenario.town
        self.scenario = scenario
        self.town = generate_town(TownSpec(lat=t.home.lat, lon=t.home.lon, alt_m=t.home.alt, seed=t.seed,
                                           half_extent_m=t.half_extent_m))
        self.ortho = render_orthophoto(self.town, sun_azimuth_deg=150.0, sun_elevation_deg=50.0)
        self.traffic = TrafficSim(self.town, scenario.traffic)
        self.monitor = InfractionMonitor(self.traffic)
        self.positions: list[dict] = []  # 1 Hz positions of every agent (for the report's map)
        self._next_log = 0.0
        if scenario.traffic_warmup_s:
            self.tick(scenario.traffic_warmup_s)

    @property
    def ground_alt_m(self) -> float:
        """Flat ground altitude AMSL."""
        return float(self.town.spec.alt_m)

    def tick(self, seconds: float, max_dt: float = 0.2) -> None:
        """Advance the traffic by ``seconds`` in steps of at most ``max_dt``, updating the truth monitor."""
        from sims.traffic.groundtruth import positions_row

        n = max(1, int(math.ceil(seconds / max_dt - 1e-9)))
        for _ in range(n):
            self.traffic.tick(seconds / n)
            self.monitor.update()
            if self.traffic.t >= self._next_log:
                self._next_log = self.traffic.t + 1.0
                self.positions.append(positions_row(self.town, self.traffic))

    def truths(self) -> list[dict]:
        """Every infraction interval the traffic actually committed so far (sims ground truth rows)."""
        from sims.traffic.groundtruth import infraction_dict

        recs = list(self.monitor.closed) + list(self.monitor.open.values())
        return [infraction_dict(self.town, r) for r in sorted(recs, key=lambda r: (r.t_start, r.agent_id))]

    def scripted_ids(self) -> set[int]:
        """Agent ids of the staged (scripted) infractions."""
        return {a.agent_id for a in self.traffic.actors}

    def zones_geojson(self) -> dict:
        """The town's zones (roads, no-parking, restricted, privacy) as geo.zones reads them."""
        from sims.world.zones import town_zones_geojson

        return town_zones_geojson(self.town)


class DroneCamera:
    """Renders what one drone's camera sees from the vehicle's TRUE pose, with sensor effects and truth."""

    def __init__(self, world: SimWorld, width: int, height: int, hfov_deg: float, noise_sigma: float, seed: int) -> None:
        from geo.camera import CameraModel
        from sims.camera.effects import SensorEffects
        from sims.camera.render import CameraRenderer

        self.world = world
        self.model = CameraModel.from_hfov(width, height, hfov_deg)
        self.renderer = CameraRenderer(world.town, world.ortho, self.model)
        self.effects = SensorEffects(width, height, noise_sigma=noise_sigma, seed=seed)

    def render(self, true_pose, time_s: float, frame_id: int):
        """(BGR image, TruthFrame, rendered frame) for a sims ``TruePose`` stamped ``time_s`` (companion clock)."""
        from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty
        from sims.traffic.agents import CLASSES as SIM_CLASSES

        p = true_pose
        pose = PoseSample(time_s, p.lat, p.lon, p.alt_amsl_m, p.roll, p.pitch, p.yaw,
                          GimbalAttitude(tuple(float(v) for v in p.gimbal_q), "vehicle"),
                          PoseUncertainty(0.0, 0.0, 0.0))
        snap = self.world.traffic.snapshot()
        frame = self.renderer.render(pose, snap, frame_id)
        image = self.effects.apply(frame.image)
        truth = frame.truth
        index = {int(a): i for i, a in enumerate(snap.ids)}
        objs = []
        town = self.world.town
        for box, c, aid, vis in zip(truth.boxes, truth.cls, truth.agent_ids, truth.visible_fraction):
            if vis < 0.3 or box[2] - box[0] < 2 or box[3] - box[1] < 2:
                continue
            i = index[int(aid)]
            lat, lon, _ = town.frame.to_wgs84(snap.e[i], snap.n[i], 0.0)
            objs.append((int(aid), SIM_CLASSES[int(c)], tuple(float(v) for v in box), float(lat), float(lon),
                         float(snap.speed[i] * 3.6)))
        return image, TruthFrame(frame_id, time_s, objs)
