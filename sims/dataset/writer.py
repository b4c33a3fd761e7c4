"""Ultralytics-format detection dataset from the simulated camera: images, YOLO labels, data.yaml.

Frames are taken over several towns (one per chunk of frames), from varied altitudes (30-150 m
above ground), gimbal pitches (nadir to 25 degrees below the horizon), fields of view, times of day and
traffic densities. The held-out split comes from different towns and traffic seeds.
"""
from __future__ import annotations

import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sims.traffic.agents import CLASSES

MIN_VISIBLE_FRACTION = 0.3
MIN_BOX_PX = 2.0
#: More two-wheelers than real streets have, so the detector sees enough of them.
TRAINING_MIX = {"car": 0.62, "van": 0.1, "truck": 0.04, "bus": 0.04, "motorcycle": 0.1, "bicycle": 0.1}


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: frame counts, base seed, image size, frames per town, altitude range (m AGL)."""

    train_frames: int = 2000
    val_frames: int = 300
    seed: int = 0
    width: int = 1280
    height: int = 720
    frames_per_town: int = 100
    alt_range_m: tuple[float, float] = (30.0, 150.0)
    jpeg_quality: tuple[int, int] = (70, 95)
    half_extent_m: float = 300.0
    deadline_unix: float | None = None  # stop rendering new frames after this time (keeps what is done)


def yolo_lines(boxes: np.ndarray, cls: np.ndarray, width: int, height: int) -> list[str]:
    """YOLO label lines ``cls cx cy w h`` (normalised to the image) for pixel boxes (x0, y0, x1, y1)."""
    out = []
    for (x0, y0, x1, y1), c in zip(np.asarray(boxes, float), np.asarray(cls, int)):
        cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
        w, h = (x1 - x0) / width, (y1 - y0) / height
        out.append(f"{int(c)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return out


def read_yolo_labels(path: str | Path, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Read a YOLO label file back to pixel boxes (N, 4) and class indices (N,)."""
    rows = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    if not rows:
        return np.zeros((0, 4)), np.zeros(0, int)
    arr = np.array(rows, float)
    for i, r in enumerate(rows):
        if len(r) != 5:
            raise ValueError(f"{path}: line {i + 1}: expected 5 fields, got {len(r)}")
    cx, cy, w, h = arr[:, 1] * width, arr[:, 2] * height, arr[:, 3] * width, arr[:, 4] * height
    return np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]), arr[:, 0].astype(int)


def select_labels(truth, width: int, height: int) -> np.ndarray:
    """Mask of ground-truth boxes worth a label: enough of the body in frame and at least 2 px."""
    b = truth.boxes
    return (truth.visible_fraction >= MIN_VISIBLE_FRACTION) & (b[:, 2] - b[:, 0] >= MIN_BOX_PX) & (
        b[:, 3] - b[:, 1] >= MIN_BOX_PX)


def _random_pose(rng: np.random.Generator, town, snap, spec: DatasetSpec):
    """A camera pose looking at a random road user (or a random point), random altitude/pitch/yaw."""
    from geo.pose import GimbalAttitude, PoseSample

    alt = float(np.exp(rng.uniform(np.log(spec.alt_range_m[0]), np.log(spec.alt_range_m[1]))))
    pitch_deg = float(-90.0 + rng.uniform(0, 1) ** 1.3 * 65.0) if rng.random() < 0.8 else -90.0  # nadir..-25
    yaw = float(rng.uniform(-math.pi, math.pi))
    half = town.spec.half_extent_m * 0.9
    if len(snap) and rng.random() < 0.85:
        k = rng.integers(len(snap))
        te, tn = float(snap.e[k]), float(snap.n[k])
    else:
        te, tn = rng.uniform(-half, half, 2)
    te += rng.normal(0, 15)
    tn += rng.normal(0, 15)
    horiz = alt / math.tan(math.radians(-pitch_deg)) if pitch_deg > -89.9 else 0.0
    e, n = te - horiz * math.sin(yaw), tn - horiz * math.cos(yaw)
    lat, lon, _ = town.frame.to_wgs84(e, n, 0.0)
    roll = float(rng.normal(0, math.radians(1.5)))
    gimbal = GimbalAttitude.from_euler(float(rng.normal(0, math.radians(0.5))), math.radians(pitch_deg), 0.0, "vehicle")
    pose = PoseSample(0.0, float(lat), float(lon), town.spec.alt_m + alt, roll, float(rng.normal(0, 0.03)), yaw, gimbal)
    return pose, alt, pitch_deg


def _render_town_chunk(args: tuple) -> list[dict]:
    """Worker: build one town and its traffic, render ``count`` frames into ``out/images|labels/split``."""
    out, split, town_seed, traffic_seed, first_index, count, spec = args
    import cv2

    cv2.setNumThreads(1)  # one process per town already fills the cores
    from geo.camera import CameraModel
    from sims.camera.effects import LIGHTING, SensorEffects, jpeg_bytes
    from sims.camera.render import CameraRenderer
    from sims.traffic.scenario import TrafficScenario
    from sims.traffic.sim import TrafficSim
    from sims.world.ortho import render_orthophoto
    from sims.world.town import TownSpec, generate_town

    rng = np.random.default_rng([spec.seed, town_seed, traffic_seed])
    lat = 47.0 + rng.uniform(-5, 5)
    lon = 8.0 + rng.uniform(-5, 5)
    town = generate_town(TownSpec(lat=float(lat), lon=float(lon), alt_m=float(rng.uniform(0, 800)), seed=town_seed,
                                 half_extent_m=spec.half_extent_m))
    sun_az, sun_el = float(rng.uniform(0, 360)), float(rng.uniform(25, 70))
    ortho = render_orthophoto(town, sun_azimuth_deg=sun_az, sun_elevation_deg=sun_el)
    scenario = TrafficScenario(seed=traffic_seed, vehicles=int(rng.integers(120, 450)), parked=int(rng.integers(60, 300)),
                               pedestrians=int(rng.integers(150, 500)), plaza_pedestrians=int(rng.integers(20, 80)),
                               vehicle_mix=TRAINING_MIX)
    sim = TrafficSim(town, scenario)
    for _ in range(int(rng.integers(50, 200))):
        sim.tick(0.2)
    img_dir, lab_dir = Path(out) / "images" / split, Path(out) / "labels" / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lab_dir.mkdir(parents=True, exist_ok=True)
    renderers: dict[float, CameraRenderer] = {}
    noise_sigma = float(rng.uniform(1, 5))  # one sensor per town: its noise field is drawn once
    fx = None
    meta = []
    for i in range(count):
        if spec.deadline_unix is not None and time.time() > spec.deadline_unix:
            break
        for _ in range(int(rng.integers(5, 25))):
            sim.tick(0.2)
        hfov = float(rng.choice([50.0, 60.0, 70.0, 80.0]))
        if hfov not in renderers:
            renderers[hfov] = CameraRenderer(town, ortho, CameraModel.from_hfov(spec.width, spec.height, hfov))
        r = renderers[hfov]
        snap = sim.snapshot()
        pose, alt, pitch = _random_pose(rng, town, snap, spec)
        frame = r.render(pose, snap)
        look, exposure = str(rng.choice(list(LIGHTING))), float(rng.uniform(0.8, 1.2))
        if fx is None:
            fx = SensorEffects(spec.width, spec.height, noise_sigma=noise_sigma, seed=int(rng.integers(1 << 30)))
        fx.set_look(look, exposure)
        shift = rng.normal(0, 1.5, 2) if rng.random() < 0.4 else (0.0, 0.0)
        img = fx.apply(frame.image, (float(shift[0]), float(shift[1])))
        name = f"{split}_{first_index + i:06d}"
        (img_dir / f"{name}.jpg").write_bytes(jpeg_bytes(img, int(rng.integers(*spec.jpeg_quality))))
        keep = select_labels(frame.truth, spec.width, spec.height)
        t = frame.truth
        (lab_dir / f"{name}.txt").write_text("\n".join(yolo_lines(t.boxes[keep], t.cls[keep], spec.width, spec.height)))
        meta.append({"image": f"images/{split}/{name}.jpg", "town_seed": town_seed, "alt_agl_m": round(alt, 2),
                     "gimbal_pitch_deg": round(pitch, 2), "hfov_deg": hfov, "lighting": fx.lighting,
                     "agents": [int(a) for a in t.agent_ids[keep]], "visible_fraction":
                         [round(float(v), 3) for v in t.visible_fraction[keep]]})
    return meta


def write_dataset(out: str | Path, spec: DatasetSpec = DatasetSpec(), workers: int = 1, progress=None) -> Path:
    """Generate train and held-out val splits under ``out``; returns the data.yaml path."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for split, frames, base in (("val", spec.val_frames, 100_001), ("train", spec.train_frames, 1)):  # val first
        k = 0
        while k < frames:
            n = min(spec.frames_per_town, frames - k)
            town_seed = base + spec.seed * 1000 + len([j for j in jobs if j[1] == split])
            jobs.append((str(out), split, town_seed, town_seed * 7 + 3, k, n, spec))
            k += n
    metas: dict[str, list] = {"train": [], "val": []}
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for job, meta in zip(jobs, pool.map(_render_town_chunk, jobs)):
                metas[job[1]].extend(meta)
                if progress:
                    progress(len(meta))
    else:
        for job in jobs:
            meta = _render_town_chunk(job)
            metas[job[1]].extend(meta)
            if progress:
                progress(len(meta))
    (out / "meta").mkdir(exist_ok=True)
    for split, rows in metas.items():
        with open(out / "meta" / f"{split}.jsonl", "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    yaml_path = out / "data.yaml"
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASSES))
    yaml_path.write_text(f"# AeroPatrol synthetic aerial traffic (sims), seed {spec.seed}\npath: {out}\n"
                         f"train: images/train\nval: images/val\nnames:\n{names}\n")
    return yaml_path
