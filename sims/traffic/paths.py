"""Many polylines packed into flat arrays, so thousands of agents are placed along them in one numpy call."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_GAP = 1.0  # metres of global arc length between consecutive paths (keeps them apart in searchsorted)


@dataclass(frozen=True)
class PathInfo:
    """What a path is: a lane of a road (with its limit), a sidewalk, a loop, or a scripted route."""

    name: str
    kind: str  # "lane", "sidewalk", "loop", "bay", "route"
    road_id: str | None = None
    speed_limit_kmh: float | None = None
    wrong_way: bool = False
    loop: bool = False


class PathSet:
    """Packed polylines: global arc length ``gs`` over all vertices, per-path base offset and length."""

    def __init__(self, polylines: list[np.ndarray], infos: list[PathInfo]) -> None:
        if len(polylines) != len(infos):
            raise ValueError("PathSet: one PathInfo per polyline")
        self.infos = infos
        pts, gs, first, last, base, length = [], [], [], [], [], []
        offset, acc = 0, 0.0
        for xy in polylines:
            xy = np.asarray(xy, dtype=float)
            seg = np.hypot(*np.diff(xy, axis=0).T)
            keep = np.concatenate([[True], seg > 1e-6])
            xy = xy[keep]
            if len(xy) < 2:
                raise ValueError("PathSet: a path needs two distinct vertices")
            cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
            pts.append(xy)
            gs.append(acc + cum)
            first.append(offset)
            last.append(offset + len(xy) - 1)
            base.append(acc)
            length.append(cum[-1])
            offset += len(xy)
            acc += cum[-1] + _GAP
        self.pts = np.concatenate(pts)
        self.gs = np.concatenate(gs)
        self.first = np.array(first)
        self.last = np.array(last)
        self.base = np.array(base)
        self.length = np.array(length)
        d = np.diff(self.pts, axis=0)
        self.seg_dir = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        self.seg_len = np.maximum(np.diff(self.gs), 1e-9)

    def __len__(self) -> int:
        return len(self.infos)

    def locate(self, path: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ENU position (N, 2) and unit direction (N, 2) at arc length ``s`` along each agent's path."""
        s = np.clip(s, 0.0, self.length[path])
        g = self.base[path] + s
        idx = np.searchsorted(self.gs, g, side="right") - 1
        idx = np.clip(idx, self.first[path], self.last[path] - 1)
        t = (g - self.gs[idx]) / self.seg_len[idx]
        pos = self.pts[idx] + t[:, None] * (self.pts[idx + 1] - self.pts[idx])
        return pos, self.seg_dir[idx]

    def project(self, path: int, xy: tuple[float, float]) -> float:
        """Arc length along one path of the point nearest to ``xy``."""
        a, b = self.pts[self.first[path]:self.last[path]], self.pts[self.first[path] + 1:self.last[path] + 1]
        ab = b - a
        t = np.clip(((np.asarray(xy) - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
        d = np.hypot(*(a + t[:, None] * ab - xy).T)
        k = int(np.argmin(d))
        return float(self.gs[self.first[path] + k] - self.base[path] + t[k] * np.hypot(*ab[k]))
