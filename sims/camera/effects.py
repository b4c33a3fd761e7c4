"""Sensor look: exposure and colour of the time of day, motion blur, sensor noise, JPEG artefacts."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Time-of-day looks: (gain per BGR channel, gamma).
LIGHTING = {
    "noon": ((1.0, 1.0, 1.0), 1.0),
    "morning": ((0.92, 0.98, 1.06), 1.08),
    "evening": ((0.78, 0.9, 1.1), 1.2),
    "overcast": ((0.95, 0.93, 0.9), 0.9),
    "dusk": ((0.62, 0.62, 0.7), 1.35),
}


@dataclass
class SensorEffects:
    """Per-stream sensor model; ``apply`` is cheap (LUTs, a pre-drawn noise field, blur only when moving)."""

    width: int
    height: int
    lighting: str = "noon"
    exposure: float = 1.0
    noise_sigma: float = 3.0
    seed: int = 0
    exposure_time_s: float = 1 / 250

    def __post_init__(self) -> None:
        if self.lighting not in LIGHTING:
            raise ValueError(f"lighting must be one of {sorted(LIGHTING)}, got {self.lighting!r}")
        self.rng = np.random.default_rng(self.seed)
        h, w = self.height, self.width
        noise = self.rng.normal(0, self.noise_sigma, (h + 64, w + 64, 3))
        self._noise_pos = np.clip(noise, 0, 255).astype(np.uint8)
        self._noise_neg = np.clip(-noise, 0, 255).astype(np.uint8)
        self.set_exposure(self.exposure)

    def set_look(self, lighting: str, exposure: float) -> None:
        """Change time of day and exposure without redrawing the noise field."""
        if lighting not in LIGHTING:
            raise ValueError(f"lighting must be one of {sorted(LIGHTING)}, got {lighting!r}")
        self.lighting = lighting
        self.set_exposure(exposure)

    def set_exposure(self, exposure: float) -> None:
        """Rebuild the tone LUT for an exposure multiplier (auto-exposure hunting, clouds)."""
        self.exposure = exposure
        gains, gamma = LIGHTING[self.lighting]
        x = np.arange(256, dtype=np.float32) / 255.0
        lut = np.stack([np.clip(((x * g * exposure) ** gamma) * 255.0, 0, 255) for g in gains], axis=1)
        self._lut = lut.astype(np.uint8).reshape(256, 1, 3)

    def motion_blur(self, img: np.ndarray, shift_px: tuple[float, float]) -> np.ndarray:
        """Blur along the image motion during the exposure (``shift_px`` = motion within the exposure)."""
        dx, dy = shift_px
        length = float(np.hypot(dx, dy))
        if length < 1.5:
            return img
        k = int(min(31, np.ceil(length))) | 1
        kernel = np.zeros((k, k), np.float32)
        c = k // 2
        ux, uy = dx / length, dy / length
        cv2.line(kernel, (int(round(c - ux * c)), int(round(c - uy * c))), (int(round(c + ux * c)), int(round(c + uy * c))), 1.0, 1)
        kernel /= kernel.sum()
        return cv2.filter2D(img, -1, kernel)

    def apply(self, img: np.ndarray, shift_px: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """Tone curve, motion blur, noise (in that order); returns a new BGR image."""
        out = cv2.LUT(img, self._lut)
        out = self.motion_blur(out, shift_px)
        if self.noise_sigma > 0:
            oy, ox = self.rng.integers(0, 64, 2)
            h, w = out.shape[:2]
            out = cv2.add(out, self._noise_pos[oy:oy + h, ox:ox + w])
            out = cv2.subtract(out, self._noise_neg[oy:oy + h, ox:ox + w])
        return out


def jpeg_bytes(img: np.ndarray, quality: int = 85) -> bytes:
    """JPEG-encode a BGR image (the artefacts a real video link adds)."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
