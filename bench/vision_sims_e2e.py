"""End to end against the simulator's truth: a held-out sims town and traffic, rendered by the sims camera
from the TRUE pose, fed through vision's OnboardPipeline with NOISY telemetry; scored by vision.scoring.

Also measures the small-object gain: detection AP50 with and without sliced inference on a subset of
the frames. (The bench imports sims as a test harness; vision itself never does.)

    .venv/bin/python -m bench.vision_sims_e2e [--quick] [--model PATH] [--alt 80] [--out DIR]
"""
from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def default_model() -> str:
    """The sims-trained model when one is shipped in models/, else COCO yolov8n."""
    shipped = sorted((REPO / "models").glob("*.pt")) + sorted((REPO / "models").glob("*.onnx"))
    return str(shipped[0]) if shipped else "yolov8n.pt"


class Flight:
    """The drone: straight and level at ``alt`` m AGL and 5 m/s north, gimbal pitched ``pitch_deg``."""

    def __init__(self, town, alt_agl: float, pitch_deg: float, start_en: tuple[float, float], seed: int) -> None:
        self.town, self.alt, self.pitch = town, alt_agl, math.radians(pitch_deg)
        self.start = np.array(start_en, float)
        self.rng = np.random.default_rng(seed)
        self.bias = np.zeros(2)

    def pose(self, t: float, noisy: bool, att_sigma_deg: float = 0.3, pos_sigma_m: float = 0.5):
        from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty

        e, n = self.start + np.array([0.0, 5.0 * t])
        roll = pitch = 0.0
        yaw = 0.0
        if noisy:
            r = self.rng.normal(0, math.radians(att_sigma_deg), 3)
            roll, pitch, yaw = r
            e, n = e + self.bias[0], n + self.bias[1]
        lat, lon, alt = self.town.frame.to_wgs84(e, n, self.town.spec.alt_m + self.alt - self.town.frame.alt)
        sigma = PoseUncertainty(math.radians(att_sigma_deg), pos_sigma_m, 0.5)
        gimbal = GimbalAttitude.from_euler(0.0, self.pitch, 0.0, "vehicle")
        return PoseSample(t, float(lat), float(lon), float(alt), roll, pitch, yaw, gimbal, sigma)

    def step_bias(self, dt: float, pos_sigma_m: float = 0.5) -> None:
        """GPS error as a slow first-order Gauss-Markov process (tau 20 s, 1-sigma pos_sigma_m)."""
        a = math.exp(-dt / 20.0)
        self.bias = a * self.bias + math.sqrt(1 - a * a) * pos_sigma_m * self.rng.normal(0, 1, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s of flight instead of 10 s")
    parser.add_argument("--seconds", type=float, default=0.0, help="flight length (overrides --quick)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--imgsz", type=int, default=0, help="model input size (0: the size the model was trained at)")
    parser.add_argument("--alt", type=float, default=80.0)
    parser.add_argument("--pitch", type=float, default=-60.0)
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=4242, help="held-out town/traffic seed")
    parser.add_argument("--slice-every", type=int, default=20,
                        help="on every Nth frame, AP50 of the model at 640 px: full frame vs sliced (0: skip)")
    parser.add_argument("--out", default=None, help="write vision_sims.json / .md here")
    parser.add_argument("--accel-noise", type=float, default=None, help="ground Kalman q (m^2/s^3); default GroundConfig's")
    parser.add_argument("--association", choices=("ground", "image"), default="ground",
                        help="track association: on the ground (default) or ultralytics' BoT-SORT in the image")
    parser.add_argument("--conf", type=float, default=0.25, help="detector confidence threshold")
    parser.add_argument("--det-iou", type=float, default=0.5, help="the detector's NMS IoU")
    parser.add_argument("--nms-iou", type=float, default=0.0,
                        help="re-run a stricter NMS at this IoU over the detections (e.g. on a cache made at 0.7)")
    parser.add_argument("--cache", default=None,
                        help="keep the model's detections here (npz per run) and reuse them: re-score tracking quickly")
    parser.add_argument("--oracle", action="store_true",
                        help="use the true boxes (+1 px noise) as detections: scores tracking + georeferencing alone")
    args = parser.parse_args()

    from geo.camera import CameraModel
    from sims.camera.effects import SensorEffects
    from sims.camera.render import CameraRenderer
    from sims.traffic.agents import CLASSES as SIM_CLASSES
    from sims.traffic.scenario import TrafficScenario
    from sims.traffic.sim import TrafficSim
    from sims.world.ortho import render_orthophoto
    from sims.world.town import TownSpec, generate_town
    from vision.detections import Detections
    from vision.detector import DetectorConfig, make_detector
    from vision.models import configure_ultralytics
    from vision.pipeline import OnboardConfig, OnboardPipeline
    from vision.pose import PoseReader
    from vision.scoring import FramePrediction, GTFrame, GTObject, detection_ap50, markdown, score, write_report
    from vision.slicing import SliceConfig, SlicedDetector
    from vision.sources import Frame

    configure_ultralytics()
    t_setup = time.perf_counter()
    town = generate_town(TownSpec(seed=args.seed))
    ortho = render_orthophoto(town, sun_azimuth_deg=150.0, sun_elevation_deg=50.0)
    sim = TrafficSim(town, TrafficScenario(seed=args.seed, vehicles=260, parked=60, pedestrians=160, plaza_pedestrians=20))
    for _ in range(100):
        sim.tick(0.2)
    camera = CameraModel.from_hfov(1280, 720, 70.0)
    renderer = CameraRenderer(town, ortho, camera)
    effects = SensorEffects(1280, 720, noise_sigma=2.0, seed=args.seed)
    look = args.alt / math.tan(math.radians(-args.pitch)) if args.pitch > -89.9 else 0.0
    flight = Flight(town, args.alt, args.pitch, (0.0, -120.0 - look), args.seed)
    model = args.model or default_model()
    cache_conf = 0.1  # a cache holds every detection down to this; runs filter it to --conf
    detector = make_detector(DetectorConfig(model=model, backend="torch", imgsz=args.imgsz, iou=args.det_iou,
                                            conf=min(args.conf, cache_conf) if args.cache else args.conf))
    imgsz = detector.imgsz
    detector.warmup((720, 1280))
    pose_reader = PoseReader()
    from vision.tracking.ground import GroundConfig

    ground = GroundConfig() if args.accel_noise is None else GroundConfig(accel_noise=args.accel_noise)
    pipeline = OnboardPipeline(OnboardConfig(camera=camera, ground_alt_m=town.spec.alt_m, ground=ground,
                                             association=args.association),
                               detector=detector, pose=pose_reader)
    seconds = args.seconds or (5.0 if args.quick else 10.0)
    cache_file = None
    cached: dict[str, np.ndarray] = {}
    if args.cache and not args.oracle:
        key = f"{Path(model).stem}_{imgsz}_c{min(args.conf, cache_conf):g}_n{args.det_iou:g}_s{args.seed}_a{args.alt:g}_p{args.pitch:g}_f{args.fps:g}_t{seconds:g}"
        cache_file = Path(args.cache) / f"{key}.npz"
        if cache_file.exists():
            cached = dict(np.load(cache_file))
            print(f"detections from {cache_file}")
    fresh: dict[str, np.ndarray] = {}
    at640 = detector.reconfigured(imgsz=640)
    sliced = SlicedDetector(at640, SliceConfig(mode="on"))
    print(f"sims end to end: town seed {args.seed}, {args.alt:.0f} m AGL, gimbal {args.pitch:.0f} deg, {args.fps:g} fps, "
          f"model {Path(model).name} at {imgsz}; set-up {time.perf_counter() - t_setup:.1f} s")

    dt = 1.0 / args.fps
    gts, preds, full_sub, sliced_sub, gts_sub = [], [], [], [], []
    # telemetry runs ahead of the frames by 0.3 s (it arrives before the frame is processed)
    tele_t = 0.0
    oracle_rng = np.random.default_rng(args.seed + 1)
    t_loop = time.perf_counter()
    for k in range(int(seconds * args.fps)):
        t = k * dt
        while tele_t <= t + 0.3:
            pose_reader.add(flight.pose(tele_t, noisy=True))
            flight.step_bias(0.05)
            tele_t += 0.05
        snap = sim.snapshot()
        frame = renderer.render(flight.pose(t, noisy=False), snap, k)
        image = effects.apply(frame.image)
        truth = frame.truth
        index = {int(a): i for i, a in enumerate(snap.ids)}
        objs = []
        for box, c, aid, vis in zip(truth.boxes, truth.cls, truth.agent_ids, truth.visible_fraction):
            if vis < 0.3 or box[2] - box[0] < 2 or box[3] - box[1] < 2:
                continue
            i = index[int(aid)]
            lat, lon, _ = town.frame.to_wgs84(snap.e[i], snap.n[i], 0.0)
            objs.append(GTObject(int(aid), SIM_CLASSES[int(c)], tuple(float(v) for v in box), float(lat), float(lon),
                                 float(snap.speed[i] * 3.6)))
        gt = GTFrame(k, t, objs)
        given = None
        if args.oracle:
            boxes = np.array([o.bbox_xyxy for o in objs], float).reshape(-1, 4)
            given = Detections(boxes + oracle_rng.normal(0, 1.0, boxes.shape), np.full(len(objs), 0.9),
                               np.array([SIM_CLASSES.index(o.cls) for o in objs], int))
        if given is None and cache_file is not None:
            if f"xyxy{k}" in cached:
                found = Detections(cached[f"xyxy{k}"], cached[f"conf{k}"], cached[f"cls{k}"])
            else:
                found = detector.detect(image)
                fresh.update({f"xyxy{k}": found.xyxy, f"conf{k}": found.conf, f"cls{k}": found.cls})
            given = found[found.conf >= args.conf]
            if args.nms_iou:  # a stricter class-aware NMS over the cached (iou 0.7) detections
                import supervision as sv

                keep = sv.box_non_max_suppression(np.column_stack([given.xyxy, given.conf, given.cls]), args.nms_iou)
                given = given[keep]
        result = pipeline.process(Frame(image, t, k), detections=given)
        gts.append(gt)
        preds.append(FramePrediction(k, result.detections, result.updates))
        if args.slice_every and not args.oracle and k % args.slice_every == 0:
            gts_sub.append(gt)
            full_sub.append(FramePrediction(k, at640.detect(image), []))
            sliced_sub.append(FramePrediction(k, sliced.detect(image), []))
        for _ in range(int(round(dt / 0.2))) or [0]:
            sim.tick(min(dt, 0.2))
    elapsed = time.perf_counter() - t_loop
    if cache_file is not None and fresh:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache_file, **fresh)
    if os.environ.get("AEROPATROL_E2E_DUMP"):  # debugging aid: the raw truth and predictions
        import pickle

        Path(os.environ["AEROPATROL_E2E_DUMP"]).write_bytes(pickle.dumps((gts, preds)))
    source = "true boxes + 1 px noise (oracle detector)" if args.oracle else Path(model).name
    report = score(gts, preds, f"sims town {args.seed}, {args.alt:.0f} m AGL, gimbal {args.pitch:.0f} deg, {source}")
    print(markdown(report))
    print(f"{len(gts)} frames in {elapsed:.0f} s (render + pipeline)")
    if gts_sub:
        full_ap = detection_ap50(gts_sub, {p.frame_id: p for p in full_sub})
        slice_ap = detection_ap50(gts_sub, {p.frame_id: p for p in sliced_sub})
        print(f"small objects, {len(gts_sub)} frames, model at 640 px: AP50 full frame -> sliced (640 px slices)")
        for c in sorted(set(full_ap) | set(slice_ap)):
            print(f"  {c:<11} {full_ap.get(c, float('nan')):.3f} -> {slice_ap.get(c, float('nan')):.3f}")
        report["slicing_ap50"] = {"full": full_ap, "sliced": slice_ap, "frames": len(gts_sub)}
    if args.out:
        j, m = write_report(report, args.out, stem="vision_sims")
        print(f"written: {j}, {m}")


if __name__ == "__main__":
    main()
