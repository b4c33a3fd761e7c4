"""Tracking: association on the ground (default) or with ultralytics' image trackers; each track's state
on the ground (Kalman, ENU)."""
from vision.tracking.ground import GroundConfig, GroundState, GroundTracker
from vision.tracking.image import ImageTracker

__all__ = ["GroundConfig", "GroundState", "GroundTracker", "ImageTracker"]
