"""Integrity of evidence: per-file SHA-256 manifests, a hash chain over a patrol's packages, Ed25519.

Layout of a patrol directory::

    <patrol>/00000_<evidence_id>/manifest.json   files + prev_manifest_sha256 (chain link)
    <patrol>/00000_<evidence_id>/manifest.sig    optional Ed25519 signature of manifest.json (hex)
    <patrol>/chain_head.json                     last seq + its manifest hash (detects a removed tail)
    <patrol>/purged.jsonl                        tombstones written by the retention purge
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "aeropatrol-evidence/1"
GENESIS = "0" * 64
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
HEAD = "chain_head.json"
HEAD_SIG = "chain_head.sig"
TOMBSTONES = "purged.jsonl"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def canonical_json(data: Any) -> bytes:
    """The byte form manifests are hashed and signed in (sorted keys, fixed separators, final newline)."""
    return (json.dumps(data, sort_keys=True, indent=1, ensure_ascii=True) + "\n").encode("ascii")


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file + fsync + rename, so a crash leaves the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM, unencrypted); ``ValueError`` naming the file otherwise."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read an Ed25519 private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key (PEM); ``ValueError`` naming the file otherwise."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read an Ed25519 public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key


def generate_keypair(private_path: str | Path, public_path: str | Path) -> None:
    """Create an Ed25519 key pair as PEM files (private file mode 0600)."""
    key = Ed25519PrivateKey.generate()
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    Path(private_path).write_bytes(priv)
    os.chmod(private_path, 0o600)
    Path(public_path).write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo))


def public_key_hex(key: Ed25519PublicKey) -> str:
    """Raw 32-byte public key as hex (embedded in signed manifests)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def package_dirs(patrol_dir: Path) -> list[Path]:
    """Package directories of a patrol (``NNNNN_<id>``), in sequence order."""
    dirs = [p for p in patrol_dir.iterdir() if p.is_dir() and p.name[:5].isdigit() and "_" in p.name]
    return sorted(dirs, key=lambda p: int(p.name.split("_", 1)[0]))


def manifest_sha256(package_dir: Path) -> str:
    """Hash of a package's manifest file: the link the next package stores."""
    return sha256_file(package_dir / MANIFEST)


def file_table(package_dir: Path) -> dict[str, dict[str, Any]]:
    """SHA-256 and size of every file of a package except the manifest and its signature."""
    out = {}
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(package_dir).as_posix()
        if rel not in (MANIFEST, SIGNATURE):
            out[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return out


def seal_package(package_dir: Path, header: dict[str, Any], prev_hash: str,
                 key: Ed25519PrivateKey | None = None) -> bytes:
    """Write manifest.json (header + file hashes + chain link) and, with a key, manifest.sig; returns the bytes."""
    manifest = {**header, "format": FORMAT, "prev_manifest_sha256": prev_hash, "files": file_table(package_dir)}
    if key is not None:
        manifest["signing_public_key"] = public_key_hex(key.public_key())
    data = canonical_json(manifest)
    atomic_write(package_dir / MANIFEST, data)
    if key is not None:
        atomic_write(package_dir / SIGNATURE, key.sign(data).hex().encode("ascii") + b"\n")
    return data


def write_head(patrol_dir: Path, seq: int, evidence_id: str, digest: str, key: Ed25519PrivateKey | None = None) -> None:
    """Record the chain's last package (seq + manifest hash); signed when a key is given."""
    data = canonical_json({"seq": seq, "evidence_id": evidence_id, "manifest_sha256": digest})
    atomic_write(patrol_dir / HEAD, data)
    if key is not None:
        atomic_write(patrol_dir / HEAD_SIG, key.sign(data).hex().encode("ascii") + b"\n")


def purge_package(package_dir: Path, reason: str, time_s: float) -> None:
    """Delete a package under retention, leaving a tombstone (seq, id, manifest hash) in its patrol dir."""
    package_dir = Path(package_dir)
    try:
        manifest = json.loads((package_dir / MANIFEST).read_text())
        digest = manifest_sha256(package_dir)
    except (OSError, ValueError):
        manifest, digest = {}, ""
    seq = int(package_dir.name.split("_", 1)[0]) if package_dir.name[:5].isdigit() else -1
    line = json.dumps({"seq": seq, "evidence_id": manifest.get("evidence_id", package_dir.name.split("_", 1)[-1]),
                       "manifest_sha256": digest, "time_s": time_s, "reason": reason}, sort_keys=True)
    with open(package_dir.parent / TOMBSTONES, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    shutil.rmtree(package_dir)
    package_dir.with_name(package_dir.name + ".zip").unlink(missing_ok=True)  # the outbox's copy


@dataclass
class VerifyReport:
    """Outcome of verifying evidence: ``ok`` only if no problem was found."""

    packages: int = 0
    patrols: int = 0
    purged: int = 0
    signed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "patrols": self.patrols, "packages": self.packages, "purged": self.purged,
                "signed": self.signed, "problems": list(self.problems)}


def _verify_sig(path: Path, data: bytes, manifest_key_hex: str | None, trusted: Ed25519PublicKey | None) -> str | None:
    """None if the signature is good; otherwise the problem."""
    try:
        sig = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        return f"{path}: unreadable signature"
    keys = []
    if trusted is not None:
        keys.append(trusted)
    elif manifest_key_hex:
        keys.append(Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest_key_hex)))
    if not keys:
        return f"{path}: signature without a public key to check it"
    try:
        keys[0].verify(sig, data)
    except InvalidSignature:
        return f"{path}: signature does not verify"
    return None


def verify_package(package_dir: Path, report: VerifyReport, trusted: Ed25519PublicKey | None = None) -> dict | None:
    """Check one package's files against its manifest (and signature); returns the manifest or None."""
    report.packages += 1
    mpath = package_dir / MANIFEST
    try:
        data = mpath.read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError):
        report.problems.append(f"{package_dir}: manifest.json missing or unreadable")
        return None
    files = manifest.get("files", {})
    for rel, meta in files.items():
        path = package_dir / rel
        if not path.is_file():
            report.problems.append(f"{package_dir}: file {rel} listed in the manifest is missing")
        elif sha256_file(path) != meta.get("sha256"):
            report.problems.append(f"{package_dir}: file {rel} was modified (SHA-256 mismatch)")
    for rel in file_table(package_dir):
        if rel not in files:
            report.problems.append(f"{package_dir}: file {rel} is not in the manifest (added)")
    sig = package_dir / SIGNATURE
    if sig.exists():
        problem = _verify_sig(sig, data, manifest.get("signing_public_key"), trusted)
        if problem:
            report.problems.append(problem)
        else:
            report.signed += 1
    elif trusted is not None:
        report.problems.append(f"{package_dir}: not signed but a public key was given")
    return manifest


def verify_patrol(patrol_dir: Path, report: VerifyReport, trusted: Ed25519PublicKey | None = None) -> None:
    """Check every package of a patrol, the chain links, the sequence (gaps) and the head."""
    report.patrols += 1
    tombs: dict[int, dict] = {}
    if (patrol_dir / TOMBSTONES).exists():
        for line in (patrol_dir / TOMBSTONES).read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                tombs[int(entry["seq"])] = entry
    by_seq = {int(p.name.split("_", 1)[0]): p for p in package_dirs(patrol_dir)}
    head = None
    if (patrol_dir / HEAD).exists():
        head_bytes = (patrol_dir / HEAD).read_bytes()
        head = json.loads(head_bytes)
        if (patrol_dir / HEAD_SIG).exists() or trusted is not None:
            if not (patrol_dir / HEAD_SIG).exists():
                report.problems.append(f"{patrol_dir}: chain head not signed but a public key was given")
            else:
                first = next(iter(by_seq.values()), None)
                key_hex = json.loads((first / MANIFEST).read_text()).get("signing_public_key") if first and (
                    first / MANIFEST).exists() else None
                problem = _verify_sig(patrol_dir / HEAD_SIG, head_bytes, key_hex, trusted)
                if problem:
                    report.problems.append(problem)
    elif by_seq:
        report.problems.append(f"{patrol_dir}: chain_head.json missing")
    last = max([*by_seq, *tombs, int(head["seq"]) if head else -1])
    prev = GENESIS
    for seq in range(0, last + 1):
        if seq in tombs and seq not in by_seq:
            report.purged += 1
            prev = tombs[seq].get("manifest_sha256") or prev
            continue
        pdir = by_seq.get(seq)
        if pdir is None:
            report.problems.append(f"{patrol_dir}: package seq {seq} is missing (deleted without a purge record)")
            prev = None  # unknown link: the next package cannot be checked against it
            continue
        manifest = verify_package(pdir, report, trusted)
        digest = manifest_sha256(pdir) if (pdir / MANIFEST).exists() else None
        if manifest is not None:
            if manifest.get("seq") != seq or not pdir.name.endswith(str(manifest.get("evidence_id"))):
                report.problems.append(f"{pdir}: directory name does not match manifest seq/evidence_id")
            if prev is not None and manifest.get("prev_manifest_sha256") != prev:
                report.problems.append(f"{pdir}: chain broken (prev_manifest_sha256 does not match package {seq - 1})")
        prev = digest
    if head is not None:
        if int(head["seq"]) != last:
            report.problems.append(f"{patrol_dir}: chain head says last seq {head['seq']} but packages go to {last}")
        elif last in by_seq and head.get("manifest_sha256") != prev:
            report.problems.append(f"{patrol_dir}: chain head hash does not match the last package's manifest")


def verify_tree(root: str | Path, trusted: Ed25519PublicKey | None = None) -> VerifyReport:
    """Verify a package dir, a patrol dir, or a directory of patrol dirs; never raises on bad content."""
    root = Path(root)
    report = VerifyReport()
    if not root.is_dir():
        report.problems.append(f"{root}: not a directory")
        return report
    if (root / MANIFEST).exists():
        verify_package(root, report, trusted)
        return report
    if (root / HEAD).exists() or package_dirs(root) or (root / TOMBSTONES).exists():
        verify_patrol(root, report, trusted)
        return report
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        if (sub / HEAD).exists() or package_dirs(sub) or (sub / TOMBSTONES).exists():
            verify_patrol(sub, report, trusted)
    if report.patrols == 0:
        report.problems.append(f"{root}: no evidence packages found")
    return report
