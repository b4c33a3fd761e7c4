"""Helpers shared by the ground-station tests: render checks and tiny images (unique module name)."""
from __future__ import annotations

import numpy as np


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


def png_bytes(colour: str, size: int = 256) -> bytes:
    """A one-colour PNG tile."""
    from PyQt5.QtCore import QBuffer, QByteArray, QIODevice
    from PyQt5.QtGui import QColor, QImage

    img = QImage(size, size, QImage.Format_RGB32)
    img.fill(QColor(colour))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    img.save(buf, "PNG")
    return bytes(data)
