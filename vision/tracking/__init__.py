"""Tracking: image association with ultralytics' trackers, and each track's state on the ground (Kalman, ENU)."""
from vision.tracking.ground import GroundConfig, GroundState, GroundTracker
from vision.tracking.image import ImageTracker

__all__ = ["GroundConfig", "GroundState", "GroundTracker", "ImageTracker"]
