"""Suite-wide environment: MAVLink 2, offline ultralytics, headless Qt and matplotlib.

Set before any test module imports pymavlink, ultralytics, PyQt5 or matplotlib.
"""
import os
from pathlib import Path

os.environ.setdefault("MAVLINK20", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(__file__).resolve().parent.parent / ".cache" / "ultralytics"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
