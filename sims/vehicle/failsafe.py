"""Failsafes as Copter implements them: GCS heartbeat loss, battery low/critical, fence breach, position loss."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from .autopilot import Autopilot
from .fence import BREACH_NONE, FenceChecker
from .modes import Flavour, Mode, POSITION_MODES

SEV = mavlink


@dataclass
class FenceStatus:
    """What FENCE_STATUS reports."""

    breach_status: int = 0
    breach_count: int = 0
    breach_type: int = BREACH_NONE
    breach_time_ms: int = 0


class FailsafeMonitor:
    """Watches link, battery, fence and GPS; switches the autopilot's mode when a failsafe fires."""

    def __init__(self, ap: Autopilot, fence: FenceChecker, link_clock: Callable[[], float]) -> None:
        self.ap = ap
        self.fence = fence
        self.link_clock = link_clock
        self.gcs_last: float | None = None
        self.gcs_failsafe = False
        self.batt_low_since: float | None = None
        self.batt_crit_since: float | None = None
        self.batt_level = 0  # 0 ok, 1 low fired, 2 critical fired
        self.fence_status = FenceStatus()
        self.fence_acted = False
        self.gps_lost_since: float | None = None
        self.ekf_failsafe = False
        self._fence_check_at = 0.0
        ap.fence_breach_now = self.fence_breach_now  # pre-arm check

    @property
    def active(self) -> bool:
        """Any failsafe currently latched (for HEARTBEAT system_status CRITICAL)."""
        return self.gcs_failsafe or self.batt_level > 0 or self.ekf_failsafe or self.fence_status.breach_status == 1

    def gcs_heartbeat(self, sysid: int) -> None:
        """A ground station's HEARTBEAT arrived."""
        ap = self.ap
        if ap.flavour is Flavour.ARDUPILOT and sysid != int(ap.params["SYSID_MYGCS"]):
            return
        self.gcs_last = self.link_clock()
        if self.gcs_failsafe:
            self.gcs_failsafe = False
            ap.statustext("GCS Failsafe Cleared", SEV.MAV_SEVERITY_CRITICAL)

    def fence_breach_now(self) -> int:
        """Breach type at the current estimated position."""
        ap = self.ap
        s = ap.body.state
        home = (ap.home.e, ap.home.n) if ap.home else None
        return self.fence.breach(s.e, s.n, ap.alt_rel(), home, ap.params)

    def _act(self, action_mode: Mode, reason: str) -> None:
        """Switch to the failsafe mode unless already there (RTL falls back to LAND without home or position)."""
        ap = self.ap
        if ap.mode in (action_mode, Mode.LAND) or (action_mode is Mode.RTL and ap.mode is Mode.RTL):
            return
        if action_mode is Mode.RTL and (ap.home is None or not ap.position_ok):
            action_mode = Mode.LAND
        refused = ap.set_mode(action_mode, reason)
        if refused and action_mode is not Mode.LAND:
            ap.set_mode(Mode.LAND, reason)

    def update(self) -> None:
        """Check every failsafe once (called each physics step)."""
        ap = self.ap
        flying = ap.armed and not ap.landed
        self._gcs(flying)
        self._battery(flying)
        if ap.now >= self._fence_check_at:
            self._fence_check_at = ap.now + 0.1
            self._fence(flying)
        self._gps(flying)

    def _gcs(self, flying: bool) -> None:
        """GCS heartbeat loss: act once per loss, only after a GCS was seen."""
        ap, p = self.ap, self.ap.params
        if self.gcs_last is None or self.gcs_failsafe or not p["FS_GCS_ENABLE"]:
            return
        if self.link_clock() - self.gcs_last <= p["FS_GCS_TIMEOUT"]:
            return
        self.gcs_failsafe = True
        ap.statustext("GCS Failsafe", SEV.MAV_SEVERITY_CRITICAL)
        if flying:
            self._act(Mode.LAND if int(p["FS_GCS_ENABLE"]) == 5 else Mode.RTL, "GCS failsafe")
        elif ap.armed:
            ap.disarm(force=True, reason="GCS failsafe")

    def _battery(self, flying: bool) -> None:
        """Low/critical battery by voltage or remaining mAh, each after BATT_LOW_TIMER seconds."""
        ap, p, b = self.ap, self.ap.params, self.ap.battery
        if not ap.armed:
            self.batt_low_since = self.batt_crit_since = None
            return
        v, timer = b.voltage, p["BATT_LOW_TIMER"]
        crit = v < p["BATT_CRT_VOLT"] or (p["BATT_CRT_MAH"] > 0 and b.remaining_mah < p["BATT_CRT_MAH"])
        low = crit or v < p["BATT_LOW_VOLT"] or (p["BATT_LOW_MAH"] > 0 and b.remaining_mah < p["BATT_LOW_MAH"])
        self.batt_crit_since = (self.batt_crit_since if self.batt_crit_since is not None else ap.now) if crit else None
        self.batt_low_since = (self.batt_low_since if self.batt_low_since is not None else ap.now) if low else None
        if self.batt_level < 2 and self.batt_crit_since is not None and ap.now - self.batt_crit_since >= timer:
            self.batt_level = 2
            ap.statustext(f"Battery 1 is critical {v:.2f}V used {b.consumed_mah:.0f} mAh", SEV.MAV_SEVERITY_CRITICAL)
            if flying:
                self._battery_action(int(p["BATT_FS_CRT_ACT"]), "battery critical")
        elif self.batt_level < 1 and self.batt_low_since is not None and ap.now - self.batt_low_since >= timer:
            self.batt_level = 1
            ap.statustext(f"Battery 1 is low {v:.2f}V used {b.consumed_mah:.0f} mAh", SEV.MAV_SEVERITY_CRITICAL)
            if flying:
                self._battery_action(int(p["BATT_FS_LOW_ACT"]), "battery low")

    def _battery_action(self, action: int, reason: str) -> None:
        """Apply a BATT_FS_*_ACT value: 1 LAND, 2 RTL."""
        if action == 1:
            self._act(Mode.LAND, reason)
        elif action == 2:
            self._act(Mode.RTL, reason)

    def _fence(self, flying: bool) -> None:
        """Track breaches for FENCE_STATUS and act once per breach."""
        ap, fs = self.ap, self.fence_status
        breach = self.fence_breach_now() if ap.armed else BREACH_NONE
        if breach == BREACH_NONE:
            if fs.breach_status:
                ap.statustext("Fence breach cleared", SEV.MAV_SEVERITY_INFO)
            fs.breach_status, self.fence_acted = 0, False
            return
        if not fs.breach_status:
            fs.breach_status, fs.breach_type = 1, breach
            fs.breach_count += 1
            fs.breach_time_ms = int(ap.now * 1000)
            ap.statustext("Fence breached: " + ("max altitude" if breach == mavlink.FENCE_BREACH_MAXALT else "boundary"),
                          SEV.MAV_SEVERITY_CRITICAL)
        action = int(ap.params["FENCE_ACTION"])
        if flying and not self.fence_acted and action in (1, 3):
            self.fence_acted = True
            self._act(Mode.LAND if action == 3 else Mode.RTL, "fence breach")

    def _gps(self, flying: bool) -> None:
        """Position loss in a position mode: LAND after one second (FS_EKF_ACTION)."""
        ap = self.ap
        if ap.position_ok:
            if self.ekf_failsafe:
                ap.statustext("EKF failsafe cleared", SEV.MAV_SEVERITY_INFO)
            self.gps_lost_since, self.ekf_failsafe = None, False
            return
        if self.gps_lost_since is None:
            self.gps_lost_since = ap.now
            if ap.armed:
                ap.statustext("GPS Glitch or Compass error", SEV.MAV_SEVERITY_CRITICAL)
        if flying and not self.ekf_failsafe and ap.now - self.gps_lost_since > 1.0 and ap.mode in POSITION_MODES:
            self.ekf_failsafe = True
            ap.statustext("EKF Failsafe: changed to LAND", SEV.MAV_SEVERITY_CRITICAL)
            if int(ap.params["FS_EKF_ACTION"]) == 1:
                ap.set_mode(Mode.LAND, "EKF failsafe")
