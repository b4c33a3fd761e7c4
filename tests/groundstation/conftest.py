"""Ground-station tests run headless (Qt offscreen) and save screenshots under artifacts/screenshots/."""
from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("MAVLINK20", "1")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def image_stats(image) -> dict:
    """Pixel statistics of a QImage: mean, std, share of the most common colour, distinct colours."""
    from PyQt5.QtGui import QImage

    img = image.convertToFormat(QImage.Format_RGB32)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.byteCount())
    arr = np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine() // 4, 4)[:, :w, 2::-1].copy()  # BGRA bytes -> RGB, owned (the QImage is temporary)
    flat = arr.reshape(-1, 3)
    packed = (flat[:, 0].astype(np.uint32) << 16) | (flat[:, 1].astype(np.uint32) << 8) | flat[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    return {"mean": float(arr.mean()), "std": float(arr.std()), "top_share": float(counts.max() / counts.sum()),
            "colours": int(len(values)), "array": arr}


def assert_rendered(image, min_colours: int = 20) -> dict:
    """Fail on a blank, black or single-colour render."""
    s = image_stats(image)
    assert image.width() > 100 and image.height() > 100, "render too small"
    assert s["mean"] > 15, f"render is black (mean {s['mean']:.1f})"
    assert s["std"] > 8, f"render is flat (std {s['std']:.1f})"
    assert s["top_share"] < 0.95, f"render is blank ({s['top_share']:.0%} one colour)"
    assert s["colours"] >= min_colours, f"render has only {s['colours']} colours"
    return s


@pytest.fixture
def screenshot():
    """save(widget_or_image, name) -> path: writes artifacts/screenshots/<name>.png and checks it is not blank."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(obj, name: str, min_colours: int = 20) -> Path:
        from PyQt5.QtGui import QImage

        image = obj if isinstance(obj, QImage) else obj.grab().toImage()
        assert_rendered(image, min_colours)
        path = SCREENSHOTS / f"{name}.png"
        assert image.save(str(path)), f"cannot write {path}"
        return path

    return save


@pytest.fixture(autouse=True)
def _gs_home(tmp_path, monkeypatch):
    """Endpoint history and caches go to a temporary directory, never the user's home."""
    monkeypatch.setenv("AEROPATROL_GS_HOME", str(tmp_path / "gs_home"))
