"""What the pipeline writes for people: a live status line and a tracks log (JSON lines or GeoJSON)."""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TextIO

import msgspec

from datalink.messages import TrackUpdate


def update_dict(update: TrackUpdate) -> dict:
    """A TrackUpdate as a plain dict with field names (the wire form is a positional array)."""
    return msgspec.structs.asdict(update)


class TrackLog:
    """Tracks log: ``.jsonl`` gets one JSON object per track update as it happens; ``.geojson`` gets a
    FeatureCollection (one LineString per track, last state in its properties) written on close."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.geojson = self.path.suffix.lower() in {".geojson", ".json"}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = None if self.geojson else self.path.open("w", encoding="utf-8")
        self._tracks: dict[int, list[TrackUpdate]] = defaultdict(list)
        self.count = 0

    def write(self, updates: list[TrackUpdate]) -> None:
        """Record updates."""
        for u in updates:
            self.count += 1
            if self._fh is not None:
                self._fh.write(json.dumps(update_dict(u), separators=(",", ":")) + "\n")
            else:
                self._tracks[u.track_id].append(u)
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        """Flush; GeoJSON is written now."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            return
        features = []
        for track_id, ups in sorted(self._tracks.items()):
            last = ups[-1]
            coords = [[u.lon, u.lat] for u in ups]
            geometry = {"type": "LineString", "coordinates": coords} if len(coords) > 1 else \
                {"type": "Point", "coordinates": coords[0]}
            props = {k: v for k, v in update_dict(last).items() if k not in {"lat", "lon", "t"}}
            props["max_speed_kmh"] = max(u.speed_kmh for u in ups)
            props["updates"] = len(ups)
            features.append({"type": "Feature", "id": track_id, "geometry": geometry, "properties": props})
        self.path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")

    def __enter__(self) -> "TrackLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StatusLine:
    """A one-line live status (fps, capture->update latency, live tracks, dropped frames), rate-limited."""

    def __init__(self, stream: TextIO | None = None, every_s: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self._last = 0.0
        self._t0 = time.monotonic()
        self.frames = 0
        self.fps = 0.0
        self.latency_ms = 0.0

    def update(self, latency_s: float, tracks: int, dropped: int = 0, extra: str = "") -> str | None:
        """Account one processed frame; print (and return) the line at most every ``every_s``."""
        now = time.monotonic()
        self.frames += 1
        self.latency_ms = 0.8 * self.latency_ms + 0.2 * latency_s * 1000 if self.frames > 1 else latency_s * 1000
        elapsed = now - self._t0
        self.fps = self.frames / elapsed if elapsed > 0 else 0.0
        if now - self._last < self.every_s:
            return None
        self._last = now
        line = (f"frames {self.frames}  fps {self.fps:5.1f}  latency {self.latency_ms:6.0f} ms  "
                f"tracks {tracks:3d}  dropped {dropped}{'  ' + extra if extra else ''}")
        self.stream.write("\r" + line)
        self.stream.flush()
        return line
