"""A small builder that appends typed mission items in order (the index of each is its future seq)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flight.mission import Cmd, Frame, MissionItem

#: MAV_MOUNT_MODE / GIMBAL_MANAGER_FLAGS values used by camera-pointing items.
GIMBAL_FLAGS_FOLLOW = 0  # yaw relative to the vehicle heading
GIMBAL_FLAGS_YAW_LOCK = 16  # yaw relative to north


@dataclass
class ItemBuilder:
    """Collects MissionItems; every method returns the index of the item it added."""

    items: list[MissionItem] = field(default_factory=list)

    def _add(self, item: MissionItem) -> int:
        self.items.append(item.with_seq(len(self.items)))
        return len(self.items) - 1

    def takeoff(self, alt_m: float, lat: float = 0.0, lon: float = 0.0) -> int:
        """NAV_TAKEOFF to `alt_m` above home (lat/lon 0 = where the vehicle is)."""
        return self._add(MissionItem.at(0, Cmd.NAV_TAKEOFF, lat, lon, alt_m, frame=Frame.GLOBAL_RELATIVE_ALT))

    def waypoint(self, lat: float, lon: float, alt_m: float, hold_s: float = 0.0) -> int:
        """NAV_WAYPOINT at (lat, lon), `alt_m` above home, holding `hold_s` seconds."""
        return self._add(MissionItem.at(0, Cmd.NAV_WAYPOINT, lat, lon, alt_m, frame=Frame.GLOBAL_RELATIVE_ALT,
                                        params=(float(hold_s), 0.0, 0.0, float("nan"))))

    def speed(self, speed_mps: float, ground: bool = True) -> int:
        """DO_CHANGE_SPEED: ground (or air) speed in m/s for the following legs."""
        return self._add(MissionItem.do(0, Cmd.DO_CHANGE_SPEED, (1.0 if ground else 0.0, float(speed_mps), -1.0, 0.0)))

    def jump(self, target_index: int, repeat: int) -> int:
        """DO_JUMP to item `target_index` (index in this list), `repeat` more times (-1 = forever)."""
        return self._add(MissionItem.do(0, Cmd.DO_JUMP, (float(target_index), float(repeat))))

    def loiter_turns(self, lat: float, lon: float, alt_m: float, turns: float, radius_m: float) -> int:
        """NAV_LOITER_TURNS around (lat, lon): `turns` circles of `radius_m` (positive = clockwise)."""
        return self._add(MissionItem.at(0, Cmd.NAV_LOITER_TURNS, lat, lon, alt_m, frame=Frame.GLOBAL_RELATIVE_ALT,
                                        params=(float(turns), 0.0, float(radius_m), 1.0)))

    def roi(self, lat: float, lon: float, alt_m: float = 0.0) -> int:
        """DO_SET_ROI_LOCATION: point the camera (and vehicle) at a ground point."""
        return self._add(MissionItem.at(0, Cmd.DO_SET_ROI_LOCATION, lat, lon, alt_m, frame=Frame.GLOBAL_RELATIVE_ALT))

    def roi_none(self) -> int:
        """DO_SET_ROI_NONE: stop pointing at a region of interest."""
        return self._add(MissionItem.do(0, Cmd.DO_SET_ROI_NONE))

    def gimbal(self, pitch_deg: float, yaw_deg: float = 0.0, flags: int = GIMBAL_FLAGS_FOLLOW) -> int:
        """DO_GIMBAL_MANAGER_PITCHYAW: pitch (-90 = nadir) and yaw (relative to heading unless YAW_LOCK)."""
        item = MissionItem.do(0, Cmd.DO_GIMBAL_MANAGER_PITCHYAW, (float(pitch_deg), float(yaw_deg), float("nan"), float("nan")))
        from dataclasses import replace
        return self._add(replace(item, x=int(flags)))

    def camera_trigger_distance(self, distance_m: float) -> int:
        """DO_SET_CAM_TRIGG_DIST: one photo every `distance_m` metres (0 = stop)."""
        return self._add(MissionItem.do(0, Cmd.DO_SET_CAM_TRIGG_DIST, (float(distance_m), 0.0, 1.0 if distance_m > 0 else 0.0)))

    def rtl(self) -> int:
        """NAV_RETURN_TO_LAUNCH."""
        return self._add(MissionItem.do(0, Cmd.NAV_RETURN_TO_LAUNCH))
