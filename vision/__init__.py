"""Onboard vision: frame sources, YOLO detection, tracking and georeferenced tracks."""
