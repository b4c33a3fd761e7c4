"""Images of an evidence package: key frame with the subject box, crop, short MP4, map and speed plot.

Matplotlib is used through ``Figure`` + the Agg canvas (no pyplot global state, no display).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

SUBJECT_COLOR = (0, 0, 255)  # BGR red


def draw_subject(image: np.ndarray, bbox: Sequence[float] | None, label: str) -> np.ndarray:
    """A copy of ``image`` with the subject's box and label drawn."""
    out = image.copy()
    if bbox is None:
        return out
    x0, y0, x1, y1 = (int(round(v)) for v in bbox)
    thick = max(2, min(out.shape[:2]) // 240)
    cv2.rectangle(out, (x0, y0), (x1, y1), SUBJECT_COLOR, thick)
    cv2.putText(out, label, (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, SUBJECT_COLOR, 1, cv2.LINE_AA)
    return out


def crop(image: np.ndarray, bbox: Sequence[float], margin_frac: float = 0.25, min_px: int = 64) -> np.ndarray:
    """The subject's box with a margin, at least ``min_px`` wide/high where the image allows."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in bbox)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) * (1 + 2 * margin_frac), min_px) / 2
    half_h = max((y1 - y0) * (1 + 2 * margin_frac), min_px) / 2
    ix0, iy0 = max(0, int(cx - half_w)), max(0, int(cy - half_h))
    ix1, iy1 = min(w, int(cx + half_w)), min(h, int(cy + half_h))
    if ix1 <= ix0 or iy1 <= iy0:
        return image[: min(h, min_px), : min(w, min_px)].copy()
    return image[iy0:iy1, ix0:ix1].copy()


def write_clip(frames: Sequence[np.ndarray], times_s: Sequence[float], path: Path) -> int:
    """Write frames as an MP4 (OpenCV 'mp4v') at the rate their timestamps imply; returns frames written."""
    if not frames:
        return 0
    dts = np.diff(np.asarray(times_s, dtype=float))
    dts = dts[dts > 0]
    fps = float(np.clip(1.0 / np.median(dts), 1.0, 60.0)) if len(dts) else 5.0
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"{path}: OpenCV cannot open an mp4v video writer")
    try:
        for frame in frames:
            if frame.shape[:2] != (h, w):
                frame = cv2.resize(frame, (w, h))
            if frame.ndim == 2:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
            writer.write(np.ascontiguousarray(frame))
    finally:
        writer.release()
    return len(frames)


def _figure(size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_track_map(track: Sequence[Sequence[float]], point: tuple[float, float], path: Path,
                   shapes: Sequence[tuple[str, Any]] = (), title: str = "", margin_m: float = 40.0) -> None:
    """Track (time, lat, lon, sigma) on a small local-metre map with zone/road shapes (lon/lat shapely).

    The view is the track's extent plus ``margin_m``, centred on it (shapes are clipped to the view).
    """
    from geo.frames import LocalFrame

    lat0, lon0 = point
    frame = LocalFrame(lat0, lon0, 0.0, name="evidence")
    fig = _figure((5, 5))
    ax = fig.add_subplot(1, 1, 1)
    colors = {"road": "0.6", "no_parking": "tab:orange", "restricted": "tab:red", "privacy": "tab:purple"}
    for kind, geom in shapes:
        parts = getattr(geom, "geoms", [geom])
        for part in parts:
            coords = np.asarray(part.exterior.coords if hasattr(part, "exterior") else part.coords)
            e, n, _ = frame.to_enu(coords[:, 1], coords[:, 0], 0.0)
            ax.plot(e, n, color=colors.get(kind, "0.4"), lw=3 if kind == "road" else 1.5, label=kind)
    if len(track):
        arr = np.asarray(track, dtype=float)
        e, n, _ = frame.to_enu(arr[:, 1], arr[:, 2], 0.0)
        ax.plot(e, n, "-", color="tab:blue", lw=1.5, label="track")
        ax.plot(e[-1:], n[-1:], "o", color="tab:blue")
    ax.plot([0], [0], "x", color="red", ms=10, mew=2, label="infraction")
    xs, ys = [0.0], [0.0]
    if len(track):
        xs, ys = [0.0, *np.asarray(e).tolist()], [0.0, *np.asarray(n).tolist()]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 + margin_m
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    ax.set_aspect("equal")
    ax.set_xlabel("east (m)")
    ax.set_ylabel("north (m)")
    ax.set_title(title or f"{lat0:.6f}, {lon0:.6f}", fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)


def plot_speed_profile(profile: Sequence[Sequence[float]], path: Path, *, start_s: float, end_s: float,
                       limit_kmh: float | None = None, threshold_kmh: float | None = None,
                       k_sigma: float = 2.0, title: str = "") -> None:
    """Speed (km/h) against time with a ±k·sigma band, the limit/threshold lines and the infraction span."""
    fig = _figure((6, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    if len(profile):
        arr = np.asarray(profile, dtype=float)
        t = arr[:, 0] - start_s
        ax.fill_between(t, arr[:, 1] - k_sigma * arr[:, 2], arr[:, 1] + k_sigma * arr[:, 2], color="tab:blue",
                        alpha=0.2, label=f"±{k_sigma:g} sigma")
        ax.plot(t, arr[:, 1], color="tab:blue", label="speed")
    if limit_kmh is not None:
        ax.axhline(limit_kmh, color="k", ls="--", lw=1, label="limit")
    if threshold_kmh is not None:
        ax.axhline(threshold_kmh, color="tab:red", ls=":", lw=1, label="limit + tolerance")
    ax.axvspan(0.0, end_s - start_s, color="tab:red", alpha=0.08, label="infraction")
    ax.set_xlabel("time from start of infraction (s)")
    ax.set_ylabel("ground speed (km/h)")
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(title, 80)[:2]), fontsize=8)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
