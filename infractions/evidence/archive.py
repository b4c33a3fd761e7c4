"""Deterministic zip of an evidence package directory (same bytes every time, so its SHA-256 is stable)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_bytes(package_dir: str | Path) -> bytes:
    """The package as a zip (entries ``<dirname>/<file>``, sorted, fixed timestamps), in memory."""
    package_dir = Path(package_dir)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in package_dir.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{package_dir.name}/{path.relative_to(package_dir).as_posix()}", _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def write_zip(package_dir: str | Path, out_path: str | Path) -> Path:
    """Write the deterministic zip of a package to ``out_path``."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(zip_bytes(package_dir))
    return out
