"""Evidence packages: sanitised imagery (bystanders blurred, privacy zones masked), plots, hashes, chain.

Names are imported lazily, so ``infractions.store`` (which needs only ``integrity`` and ``archive``)
does not pull OpenCV into the ground station (cv2 resets Qt's plugin path when imported).
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "write_zip": "archive", "zip_bytes": "archive",
    "VerifyReport": "integrity", "generate_keypair": "integrity", "load_private_key": "integrity",
    "load_public_key": "integrity", "purge_package": "integrity", "verify_tree": "integrity",
    "Detection": "package", "FrameRecord": "package", "PackageResult": "package", "build_package": "package",
    "evidence_id_for": "package", "software_versions": "package",
    "blur_boxes": "privacy", "bystander_boxes": "privacy", "mask_polygons": "privacy",
    "privacy_polygons_for_pose": "privacy", "sanitize": "privacy",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'infractions.evidence' has no attribute {name!r}")
    return getattr(importlib.import_module(f"infractions.evidence.{module}"), name)
