"""The one place flight/ imports pymavlink: MAVLink 2 with the ardupilotmega dialect.

pymavlink chooses MAVLink 1 unless MAVLINK20 is set before `mavutil` is imported, so it is set here.
"""
from __future__ import annotations

import os

os.environ.setdefault("MAVLINK20", "1")

from pymavlink import mavutil  # noqa: E402
from pymavlink.dialects.v20 import ardupilotmega as mavlink2  # noqa: E402

MAV_COMP_ID_MISSIONPLANNER = mavlink2.MAV_COMP_ID_MISSIONPLANNER  # 190, a GCS's component
MAV_COMP_ID_ONBOARD_COMPUTER = mavlink2.MAV_COMP_ID_ONBOARD_COMPUTER  # 191, a companion computer

__all__ = ["mavutil", "mavlink2", "MAV_COMP_ID_MISSIONPLANNER", "MAV_COMP_ID_ONBOARD_COMPUTER"]
