"""Coordinate frames, camera model and pixel <-> ground georeferencing (numpy + pyproj only)."""
