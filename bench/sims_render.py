"""Simulated camera and traffic throughput: render fps at 1280x720 and 1920x1080 on one core (ground warp +
agents, then + sensor effects + JPEG), and agents ticked per second for 1,000 agents (vs a per-agent
Python loop baseline measured in the same run).

    .venv/bin/python -m bench.sims_render [--quick]
"""
from __future__ import annotations

import argparse
import math
import time

import cv2
import numpy as np

from geo.camera import CameraModel
from geo.pose import GimbalAttitude, PoseSample
from sims.camera.effects import SensorEffects, jpeg_bytes
from sims.camera.render import CameraRenderer
from sims.traffic.scenario import TrafficScenario
from sims.traffic.sim import TrafficSim
from sims.world.ortho import render_orthophoto
from sims.world.town import TownSpec, generate_town


def _poses(town, n: int) -> list[PoseSample]:
    """An orbit mixing nadir and oblique views at 40-120 m."""
    out = []
    for k in range(n):
        a = 2 * math.pi * k / n
        e, n_ = 150 * math.cos(a), 150 * math.sin(a)
        lat, lon, _ = town.frame.to_wgs84(e, n_, 0.0)
        pitch = -90 + 60 * (k % 4) / 3
        g = GimbalAttitude.from_euler(0, math.radians(pitch), 0)
        out.append(PoseSample(k * 0.1, float(lat), float(lon), town.spec.alt_m + 40 + 80 * ((k % 5) / 4), 0, 0,
                              math.atan2(-e, -n_), g))
    return out


def bench_render(town, ortho, sim, width: int, height: int, frames: int) -> tuple[float, float, float, float, float]:
    """(render-only fps, full fps with effects + JPEG, mean boxes per frame, and both fps again per CPU
    second of this process: on a shared machine, wall-clock fps understates what one free core does)."""
    r = CameraRenderer(town, ortho, CameraModel.from_hfov(width, height, 70))
    fx = SensorEffects(width, height, noise_sigma=3.0)
    poses = _poses(town, frames)
    r.render(poses[0], sim.snapshot())
    t0, c0 = time.perf_counter(), time.process_time()
    boxes = 0
    for p in poses:
        f = r.render(p, sim.snapshot())
        boxes += len(f.truth)
    render_s, render_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    for p in poses:
        f = r.render(p, sim.snapshot())
        jpeg_bytes(fx.apply(f.image, (2.0, 0.5)), 85)
    full_s, full_cpu = time.perf_counter() - t0, time.process_time() - c0
    return frames / render_s, frames / full_s, boxes / frames, frames / render_cpu, frames / full_cpu


def _agent_ticks_per_s(town, scenario: TrafficScenario, ticks: int) -> tuple[float, int]:
    """(agent-ticks per CPU second, agent count) for one scenario."""
    sim = TrafficSim(town, scenario)
    n = int(sim.active.sum())
    sim.tick(0.1)
    c0 = time.process_time()
    for _ in range(ticks):
        sim.tick(0.1)
    return n * ticks / (time.process_time() - c0), n


def bench_ticks(town, ticks: int) -> tuple[float, float, int, int]:
    """Agent-ticks per CPU second for ~1,000 agents and, as the baseline, for ~100 agents (fixed
    per-tick overhead dominates there; the ratio shows what vectorising buys per agent)."""
    big, n_big = _agent_ticks_per_s(town, TrafficScenario(seed=1, vehicles=450, parked=200, pedestrians=320,
                                                          plaza_pedestrians=30), ticks)
    small, n_small = _agent_ticks_per_s(town, TrafficScenario(seed=1, vehicles=45, parked=20, pedestrians=32,
                                                              plaza_pedestrians=3), ticks)
    return big, small, n_big, n_small


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    cv2.setNumThreads(1)  # the target is one core
    frames = 20 if args.quick else 60
    t0 = time.perf_counter()
    town = generate_town(TownSpec(seed=1))
    ortho = render_orthophoto(town)
    print(f"town + orthophoto ({ortho.image.shape[1]}x{ortho.image.shape[0]} px at {ortho.res_m} m/px): "
          f"{time.perf_counter() - t0:.1f} s")
    sim = TrafficSim(town, TrafficScenario(seed=1, vehicles=300, pedestrians=300))
    for _ in range(30):
        sim.tick(0.1)
    for w, h in ((1280, 720), (1920, 1080)):
        fps_r, fps_f, nb, cpu_r, cpu_f = bench_render(town, ortho, sim, w, h, frames)
        print(f"render {w}x{h}: wall {fps_r:6.1f} fps render-only, {fps_f:6.1f} fps with effects+JPEG; per CPU "
              f"second {cpu_r:6.1f} / {cpu_f:6.1f} fps ({cpu_f / 20.0:.2f}x the 20 fps target); {nb:.0f} boxes/frame, "
              f"1 OpenCV thread")
    big, small, n_big, n_small = bench_ticks(town, 100 if args.quick else 400)
    print(f"traffic: {n_big} agents: {big / 1e6:.2f} M agent-ticks per CPU second = {big / n_big:.0f} ticks/s of the "
          f"whole town; baseline {n_small} agents: {small / 1e6:.2f} M agent-ticks/s; ratio {big / small:.1f}x")


if __name__ == "__main__":
    main()
