"""Evidence packages: sanitised imagery (bystanders blurred, privacy zones masked), plots, hashes, chain."""
from infractions.evidence.archive import write_zip, zip_bytes
from infractions.evidence.integrity import (VerifyReport, generate_keypair, load_private_key, load_public_key,
                                            purge_package, verify_tree)
from infractions.evidence.package import (Detection, FrameRecord, PackageResult, build_package, evidence_id_for,
                                          software_versions)
from infractions.evidence.privacy import blur_boxes, bystander_boxes, mask_polygons, privacy_polygons_for_pose, sanitize

__all__ = ["write_zip", "zip_bytes", "VerifyReport", "generate_keypair", "load_private_key", "load_public_key",
           "purge_package", "verify_tree", "Detection", "FrameRecord", "PackageResult", "build_package",
           "evidence_id_for", "software_versions", "blur_boxes", "bystander_boxes", "mask_polygons",
           "privacy_polygons_for_pose", "sanitize"]
