"""The companion computer without torch: the shipped ONNX model (static 1088x1920 input) through the whole
onboard pipeline with torch and ultralytics made unimportable, on frames rendered by the sims camera."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
ONNX = REPO / "models" / "aeropatrol-yolov8n-sim.onnx"
PT = REPO / "models" / "aeropatrol-yolov8n-sim.pt"
AGL = 80.0


@pytest.fixture(scope="module")
def sims_frames(tmp_path_factory):
    """Three consecutive 1280x720 frames (0.1 s apart, camera at 80 m, gimbal -60 deg) and their poses."""
    from geo.camera import CameraModel
    from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty
    from sims.camera.render import CameraRenderer
    from sims.traffic.scenario import TrafficScenario
    from sims.traffic.sim import TrafficSim
    from sims.world.ortho import render_orthophoto
    from sims.world.town import TownSpec, generate_town

    town = generate_town(TownSpec(seed=7, half_extent_m=160.0))
    ortho = render_orthophoto(town, res_m=0.15)
    sim = TrafficSim(town, TrafficScenario(seed=1, vehicles=150, pedestrians=60))
    for _ in range(20):
        sim.tick(0.1)
    renderer = CameraRenderer(town, ortho, CameraModel.from_hfov(1280, 720, 70.0))
    out = tmp_path_factory.mktemp("frames")
    poses = []
    lat, lon, _ = town.frame.to_wgs84(0.0, -AGL / math.tan(math.radians(60.0)), 0.0)
    g = GimbalAttitude.from_euler(0.0, math.radians(-60.0), 0.0, "vehicle")
    for k in range(3):
        pose = PoseSample(k * 0.1, float(lat), float(lon), town.spec.alt_m + AGL, 0.0, 0.0, 0.0, g,
                          PoseUncertainty(math.radians(0.1), 0.3, 0.3))
        frame = renderer.render(pose, sim.snapshot(), k)
        cv2.imwrite(str(out / f"{k}.png"), frame.image)
        poses.append([pose.time_s, pose.lat, pose.lon, pose.alt_amsl_m])
        sim.tick(0.1)
    (out / "poses.json").write_text(json.dumps({"poses": poses, "ground_alt_m": town.spec.alt_m}))
    return out


def test_static_rectangular_onnx_matches_torch(sims_frames):
    """The shipped export has a fixed 1088x1920 input: it is letterboxed to that shape, not to a square."""
    from vision.detector import DetectorConfig, OnnxDetector, make_detector

    image = cv2.imread(str(sims_frames / "0.png"))
    onnx = make_detector(DetectorConfig(model=str(ONNX), backend="onnx"))
    assert isinstance(onnx, OnnxDetector) and onnx.input_hw == (1088, 1920) and onnx.imgsz == 1920
    torch_det = make_detector(DetectorConfig(model=str(PT), backend="torch", imgsz=1920))
    a, b = torch_det.detect(image), onnx.detect(image)
    assert len(a) >= 10, len(a)  # a town street at 80 m: cars and people
    assert abs(len(a) - len(b)) <= max(2, len(a) // 10)
    from vision.tracking.pairs import pair_iou

    # each torch box has an ONNX box of the same class on top of it
    best = [max(pair_iou(a.xyxy[i:i + 1].repeat(len(b), 0).astype(float), b.xyxy.astype(float))
                * (b.cls == a.cls[i])) for i in range(len(a))]
    assert np.median(best) > 0.9, np.median(best)


BLOCK_TORCH = '''
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision", "ultralytics"):
            raise ImportError(f"{name} is not installed on this companion")
sys.meta_path.insert(0, Block())
import cv2, math
from pathlib import Path
from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty
from vision.detector import DetectorConfig, make_detector
from vision.pipeline import OnboardConfig, OnboardPipeline
from vision.sources import Frame
d = Path(sys.argv[1]); meta = json.loads((d / "poses.json").read_text())
pipe = OnboardPipeline(OnboardConfig(ground_alt_m=meta["ground_alt_m"]),
                       detector=make_detector(DetectorConfig(model=sys.argv[2])))
g = GimbalAttitude.from_euler(0.0, math.radians(-60.0), 0.0, "vehicle")
for t, lat, lon, alt in meta["poses"]:
    pipe.pose.add(PoseSample(t, lat, lon, alt, 0.0, 0.0, 0.0, g, PoseUncertainty(0.002, 0.3, 0.3)))
counts = []
for k, (t, *_rest) in enumerate(meta["poses"]):
    r = pipe.process(Frame(cv2.imread(str(d / f"{k}.png")), t, k))
    counts.append([len(r.detections), len(r.updates)])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "ultralytics"))
print(json.dumps({"counts": counts, "loaded": loaded, "backend": type(pipe.detector).__name__}))
'''


def test_onboard_pipeline_runs_without_torch(sims_frames):
    """ONNX Runtime detector + ground association: no torch, no ultralytics, tracks on the second frame."""
    proc = subprocess.run([sys.executable, "-c", BLOCK_TORCH, str(sims_frames), str(ONNX)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["loaded"] == [] and out["backend"] == "OnnxDetector"
    (d0, u0), (d1, u1), (d2, u2) = out["counts"]
    assert d0 >= 10 and u0 == 0  # tracks are tentative on their first detection
    assert u1 >= 0.7 * d1 and u2 >= 0.7 * d2, out["counts"]  # confirmed on the second
