"""Building one evidence package per infraction, appended to its patrol's hash chain.

Imagery is sanitised (privacy zones masked, bystanders blurred) in memory before the first byte is
written; the package is assembled in a temporary directory, sealed (manifest with SHA-256 of every
file and the previous package's manifest hash, optional Ed25519 signature) and renamed into place.
"""
from __future__ import annotations

import fcntl
import json
import platform
import shutil
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import cv2
import msgspec
import numpy as np

from infractions.evidence import integrity
from infractions.evidence.privacy import sanitize
from infractions.evidence.render import crop, draw_subject, plot_speed_profile, plot_track_map, write_clip

EVIDENCE_NAMESPACE = uuid.UUID("8e1f3c52-2a8b-4d6e-b1f0-7c9a4e5d3b21")


@dataclass(frozen=True)
class Detection:
    """One detection in a frame: tracker id (None if untracked), class and pixel box."""

    track_id: int | None
    cls: str
    bbox_xyxy: tuple[float, float, float, float]


@dataclass
class FrameRecord:
    """A captured frame with its detections, telemetry + camera pose, and privacy polygons in pixels."""

    frame_id: int
    time_s: float
    image: np.ndarray
    detections: list[Detection] = field(default_factory=list)
    telemetry: dict[str, Any] = field(default_factory=dict)
    privacy_polygons_px: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class PackageResult:
    """Where a package went and how it is chained."""

    evidence_id: str
    path: Path
    seq: int
    manifest_sha256: str
    manifest: bytes


def evidence_id_for(infraction_id: str) -> str:
    """Deterministic evidence id of an infraction (rebuilding after a crash gives the same id)."""
    return str(uuid.uuid5(EVIDENCE_NAMESPACE, infraction_id))


def software_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Versions of this software and the libraries that shaped the evidence (plus model versions given)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform(), "opencv": cv2.__version__,
           "numpy": np.__version__}
    for dist in ("aeropatrol", "matplotlib", "shapely", "pyproj", "msgspec"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "unknown"
    out.update(extra or {})
    return out


@contextmanager
def _chain_lock(patrol_dir: Path) -> Iterator[None]:
    """Exclusive lock on a patrol's chain (two writers never take the same seq)."""
    with open(patrol_dir / ".chain.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _subject_box(frame: FrameRecord, track_id: int) -> tuple[float, float, float, float] | None:
    for det in frame.detections:
        if det.track_id == track_id:
            return tuple(det.bbox_xyxy)  # type: ignore[return-value]
    return None


def _json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=float) + "\n", encoding="utf-8")


def build_package(root: str | Path, finding: Any, frames: Sequence[FrameRecord], *,
                  calibration: dict[str, Any], versions: dict[str, str] | None = None,
                  shapes: Sequence[tuple[str, Any]] = (), signing_key: Any = None,
                  key_frame_ids: Sequence[int] | None = None) -> PackageResult:
    """Write the evidence package of one infraction under ``root/<patrol_id>/`` and chain it.

    ``finding`` is an engine Finding (``.event``, ``.profile``, ``.track``, ``.key_frames``) or any
    object with those attributes. ``frames`` are the frames around the infraction (a few seconds
    before/after); every one is sanitised before use. Idempotent: an existing package of the same
    infraction is returned as it is.
    """
    event = finding.event
    subject = int(event.track_id)
    evidence_id = evidence_id_for(event.infraction_id)
    patrol_dir = Path(root) / (event.patrol_id or "no-patrol")
    patrol_dir.mkdir(parents=True, exist_ok=True)
    ordered = sorted(frames, key=lambda f: f.time_s)
    clean = [sanitize(f.image, f.detections, subject, f.privacy_polygons_px) for f in ordered]  # privacy first

    with _chain_lock(patrol_dir):
        existing = [p for p in integrity.package_dirs(patrol_dir) if p.name.endswith(evidence_id)]
        if existing and (existing[0] / integrity.MANIFEST).exists():
            path = existing[0]
            data = (path / integrity.MANIFEST).read_bytes()
            return PackageResult(evidence_id, path, int(path.name.split("_")[0]),
                                 integrity.manifest_sha256(path), data)
        previous = [p for p in integrity.package_dirs(patrol_dir) if (p / integrity.MANIFEST).exists()]
        tombs = _tombstone_seqs(patrol_dir)
        seq = max([int(p.name.split("_")[0]) for p in previous] + tombs + [-1]) + 1
        prev_hash = _prev_hash(patrol_dir, previous, seq)
        tmp = patrol_dir / f".tmp-{evidence_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        _write_contents(tmp, finding, ordered, clean, subject, calibration, versions, shapes, key_frame_ids)
        header = {"evidence_id": evidence_id, "infraction_id": event.infraction_id, "patrol_id": event.patrol_id,
                  "seq": seq, "created_s": float(event.created_s), "rule_id": event.rule_id,
                  "rule_version": event.rule_version, "kind": event.kind}
        data = integrity.seal_package(tmp, header, prev_hash, signing_key)
        final = patrol_dir / f"{seq:05d}_{evidence_id}"
        tmp.rename(final)
        digest = integrity.manifest_sha256(final)
        integrity.write_head(patrol_dir, seq, evidence_id, digest, signing_key)
    return PackageResult(evidence_id, final, seq, digest, data)


def _tombstone_seqs(patrol_dir: Path) -> list[int]:
    path = patrol_dir / integrity.TOMBSTONES
    if not path.exists():
        return []
    return [int(json.loads(line)["seq"]) for line in path.read_text().splitlines() if line.strip()]


def _prev_hash(patrol_dir: Path, previous: list[Path], seq: int) -> str:
    """Manifest hash of package ``seq - 1`` (from its tombstone if purged); genesis for the first."""
    if seq == 0:
        return integrity.GENESIS
    for p in previous:
        if int(p.name.split("_")[0]) == seq - 1:
            return integrity.manifest_sha256(p)
    path = patrol_dir / integrity.TOMBSTONES
    for line in (path.read_text().splitlines() if path.exists() else []):
        entry = json.loads(line)
        if int(entry["seq"]) == seq - 1 and entry.get("manifest_sha256"):
            return str(entry["manifest_sha256"])
    return integrity.GENESIS


def _write_contents(out: Path, finding: Any, frames: Sequence[FrameRecord], clean: Sequence[np.ndarray],
                    subject: int, calibration: dict[str, Any], versions: dict[str, str] | None,
                    shapes: Sequence[tuple[str, Any]], key_frame_ids: Sequence[int] | None) -> None:
    """All files of a package except the manifest, from sanitised images only."""
    event = finding.event
    label = f"{event.cls} #{subject} {event.kind}"
    wanted = list(key_frame_ids if key_frame_ids is not None else getattr(finding, "key_frames", []) or [])
    by_id = {f.frame_id: i for i, f in enumerate(frames)}
    picks = [by_id[k] for k in wanted if k in by_id]
    with_subject = [i for i, f in enumerate(frames) if _subject_box(f, subject) is not None]
    if not picks and with_subject:
        picks = list(dict.fromkeys([with_subject[0], with_subject[len(with_subject) // 2], with_subject[-1]]))
    if not picks and frames:
        picks = [len(frames) // 2]
    for n, i in enumerate(picks):
        box = _subject_box(frames[i], subject)
        cv2.imwrite(str(out / f"keyframe_{n}_f{frames[i].frame_id}.jpg"), draw_subject(clean[i], box, label),
                    [cv2.IMWRITE_JPEG_QUALITY, 92])
    crop_from = next((i for i in picks if _subject_box(frames[i], subject) is not None), None)
    if crop_from is not None:
        cv2.imwrite(str(out / "crop.jpg"), crop(clean[crop_from], _subject_box(frames[crop_from], subject)),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
    if frames:
        boxed = [draw_subject(img, _subject_box(f, subject), label) for f, img in zip(frames, clean)]
        write_clip(boxed, [f.time_s for f in frames], out / "clip.mp4")
    plot_track_map(getattr(finding, "track", []), (event.lat, event.lon), out / "track_map.png", shapes,
                   title=f"{event.kind} {event.infraction_id[:8]}")
    m = event.measurements
    plot_speed_profile(getattr(finding, "profile", []), out / "speed_profile.png", start_s=event.start_s,
                       end_s=event.end_s, limit_kmh=m.get("limit_kmh"), threshold_kmh=m.get("threshold_kmh"),
                       k_sigma=float(event.uncertainty.get("k_sigma", 2.0)), title=event.summary)
    _json(out / "telemetry.json", [{"frame_id": f.frame_id, "time_s": f.time_s, "telemetry": f.telemetry,
                                    "subject_bbox_xyxy": _subject_box(f, subject),
                                    "image_size": list(f.image.shape[1::-1])} for f in frames])
    _json(out / "calibration.json", calibration)
    _json(out / "infraction.json", {"event": msgspec.structs.asdict(event),
                                    "rule": {"id": event.rule_id, "version": event.rule_version,
                                             "params": event.rule_params},
                                    "profile": [list(p) for p in getattr(finding, "profile", [])],
                                    "track": [list(p) for p in getattr(finding, "track", [])]})
    _json(out / "versions.json", software_versions(versions))
    _json(out / "privacy.json", {"bystanders_blurred": True, "privacy_zones_masked": True,
                                 "subject_track_id": subject, "blurred_classes": ["person"]})
