"""Tile sources for the map: XYZ URL templates with an on-disk cache, offline MBTiles packages.

Sources are plain objects: ``cached(z, x, y)`` answers at once from disk/SQLite (or None) and
``fetch(z, x, y)`` may block on the network, so only ``TileLoader``'s worker threads call it.
"""
from __future__ import annotations

import sqlite3
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from PyQt5.QtCore import QObject, pyqtSignal


class TileSource(Protocol):
    """What the map needs of a tile source."""

    name: str
    max_zoom: int

    def cached(self, z: int, x: int, y: int) -> bytes | None:
        """Tile image bytes if available without blocking, else None."""

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        """Tile image bytes, possibly from the network (worker threads only); None if absent."""


class MBTilesError(ValueError):
    """An MBTiles file that cannot be opened or lacks the tiles table."""


class MBTilesSource:
    """Offline tiles from an MBTiles (SQLite) package; rows are TMS (y flipped) as the spec says."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MBTilesError(f"{self.path}: no such MBTiles file")
        self._local = threading.local()
        try:
            conn = self._conn()
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            row = conn.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        except sqlite3.DatabaseError as exc:
            raise MBTilesError(f"{self.path}: not an MBTiles package ({exc})") from None
        self.metadata: dict[str, str] = meta
        self.name = meta.get("name", self.path.stem)
        self.min_zoom = int(row[0]) if row[0] is not None else 0
        self.max_zoom = int(row[1]) if row[1] is not None else 0

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn = conn
        return conn

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) from the metadata, if present."""
        raw = self.metadata.get("bounds")
        if not raw:
            return None
        try:
            w, s, e, n = (float(v) for v in raw.split(","))
        except ValueError:
            return None
        return w, s, e, n

    def cached(self, z: int, x: int, y: int) -> bytes | None:
        """Tile bytes from SQLite (fast, local)."""
        tms_y = (1 << z) - 1 - y
        row = self._conn().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?", (z, x, tms_y)
        ).fetchone()
        return bytes(row[0]) if row else None

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        """Same as ``cached``: an MBTiles package never needs the network."""
        return self.cached(z, x, y)


class XyzTileSource:
    """Raster tiles from a URL template ``.../{z}/{x}/{y}.png`` with a disk cache ``cache_dir/z/x/y``."""

    def __init__(self, url_template: str, cache_dir: str | Path, name: str = "xyz", max_zoom: int = 19,
                 user_agent: str = "AeroPatrol-GroundStation/0.1", timeout_s: float = 10.0) -> None:
        for key in ("{z}", "{x}", "{y}"):
            if key not in url_template:
                raise ValueError(f"tile URL template {url_template!r} lacks {key}")
        self.url_template = url_template
        self.cache_dir = Path(cache_dir)
        self.name = name
        self.max_zoom = max_zoom
        self.user_agent = user_agent
        self.timeout_s = timeout_s

    def _path(self, z: int, x: int, y: int) -> Path:
        return self.cache_dir / str(z) / str(x) / f"{y}.tile"

    def cached(self, z: int, x: int, y: int) -> bytes | None:
        """Tile bytes from the disk cache, or None."""
        p = self._path(z, x, y)
        try:
            return p.read_bytes()
        except OSError:
            return None

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        """Download one tile (worker thread), store it in the cache; None on any network error."""
        hit = self.cached(z, x, y)
        if hit is not None:
            return hit
        url = self.url_template.format(z=z, x=x, y=y, s="abc"[(x + y) % 3])
        req = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                data = resp.read()
        except (urllib.error.URLError, OSError, ValueError):
            return None
        if not data:
            return None
        p = self._path(z, x, y)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(p)
        return data


class TileLoader(QObject):
    """Fetches tiles on worker threads and hands them to the UI thread through ``tileLoaded``."""

    tileLoaded = pyqtSignal(int, int, int, bytes)
    tileMissing = pyqtSignal(int, int, int)

    def __init__(self, source: TileSource, workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tiles")
        self._pending: set[tuple[int, int, int]] = set()
        self._lock = threading.Lock()

    def request(self, z: int, x: int, y: int) -> None:
        """Queue one tile unless it is already on its way."""
        key = (z, x, y)
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        self._pool.submit(self._work, key)

    def _work(self, key: tuple[int, int, int]) -> None:
        try:
            data = self.source.fetch(*key)
        except Exception:  # a bad source must never take the UI down
            data = None
        with self._lock:
            self._pending.discard(key)
        if data:
            self.tileLoaded.emit(*key, data)
        else:
            self.tileMissing.emit(*key)

    def pending(self) -> int:
        """Tiles still on their way."""
        with self._lock:
            return len(self._pending)

    def shutdown(self) -> None:
        """Stop the workers (pending downloads are dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def write_mbtiles(path: str | Path, tiles: dict[tuple[int, int, int], bytes], name: str = "tiles",
                  bounds: tuple[float, float, float, float] | None = None, fmt: str = "png") -> Path:
    """Write an MBTiles package from {(z, x, y XYZ): image bytes}; used by tests and offline exports."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        meta = {"name": name, "format": fmt, "type": "baselayer", "version": "1"}
        if bounds:
            meta["bounds"] = ",".join(f"{v:.7f}" for v in bounds)
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
        conn.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
        )
    conn.close()
    return path
