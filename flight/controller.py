"""The mission controller: a state machine that flies one patrol and never leaves the vehicle unknown.

connect -> preflight -> upload -> arm -> takeoff -> patrol (AUTO) [-> retask (guided orbit with ROI)
-> resume at the item it left] -> return (RTL) -> land -> disarmed; pause/resume and abort at any
time. A mode set by anyone else (pilot's switch, autopilot failsafe) wins: the controller follows,
it does not fight. Every transition is a timestamped `ControllerEvent` to listeners and the log.
"""
from __future__ import annotations

import enum
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from geo.frames import LocalFrame

from flight.backend import VehicleBackend
from flight.commands import CommandError, CommandTimeout, CommandUnsupported
from flight.mission import Cmd, MissionPlan, MissionType
from flight.mission_protocol import MissionError
from flight.modes import LANDING_MODES, RETURN_MODES, Flavour, Intent, canonical, intent_mode
from flight.state import VehicleState

log = logging.getLogger(__name__)


class Phase(str, enum.Enum):
    """Controller states."""

    IDLE = "idle"
    CONNECTING = "connecting"
    PREFLIGHT = "preflight"
    UPLOADING = "uploading"
    ARMING = "arming"
    TAKEOFF = "takeoff"
    PATROL = "patrol"
    RETASK = "retask"
    RESUMING = "resuming"
    PAUSED = "paused"
    PILOT_CONTROL = "pilot_control"
    LINK_LOST = "link_lost"
    RETURNING = "returning"
    LANDING = "landing"
    DISARMED = "disarmed"
    FAILED = "failed"


AIRBORNE = {Phase.TAKEOFF, Phase.PATROL, Phase.RETASK, Phase.RESUMING, Phase.PAUSED, Phase.PILOT_CONTROL,
            Phase.RETURNING, Phase.LANDING, Phase.LINK_LOST}


@dataclass(frozen=True)
class ControllerEvent:
    """One thing that happened: a phase transition or a notice, with wall-clock time."""

    time_unix: float
    kind: str  # transition | info | warning | error
    phase: Phase
    message: str
    previous: Phase | None = None
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"time_unix": round(self.time_unix, 3), "kind": self.kind, "phase": self.phase.value,
                "previous": self.previous.value if self.previous else None, "message": self.message,
                "data": self.data}


@dataclass(frozen=True)
class ControllerConfig:
    """Limits and timings of one flight."""

    takeoff_alt_m: float = 20.0
    laps: int = 1
    min_fix_type: int = 3
    min_satellites: int = 6
    min_battery_pct: int = 30
    require_fence: bool = False
    require_home_before_arm: bool = False  # real autopilots set home at GPS lock; some only at arming
    connect_timeout_s: float = 30.0
    preflight_timeout_s: float = 120.0
    arm_timeout_s: float = 60.0
    takeoff_timeout_s: float = 90.0
    flight_timeout_s: float = 3600.0
    orbit_radius_m: float = 30.0
    orbit_points: int = 8
    orbit_turns: float = 1.0
    orbit_acceptance_m: float = 4.0
    orbit_point_timeout_s: float = 60.0
    arrive_m: float = 5.0
    jump_settle_s: float = 3.0  # with DO_JUMP loops, stopped this long at the last waypoint = mission over
    mode_grace_s: float = 3.0
    poll_s: float = 0.05


@dataclass(frozen=True)
class FlightResult:
    """How a flight ended."""

    ok: bool
    outcome: str  # completed | aborted | failed | failsafe | pilot
    phase: Phase
    laps_completed: int
    reason: str
    events: tuple[ControllerEvent, ...]


class PreflightFailed(RuntimeError):
    """Preflight checks did not pass in time; the message lists each failed check."""


class _Interrupted(Exception):
    """Leave a blocking step (retask orbit) because something else must be handled."""


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    frame = LocalFrame(lat1, lon1, 0.0, "distance")
    e, n, _ = frame.to_enu(lat2, lon2, 0.0)
    return float(math.hypot(e, n))


def preflight_problems(st: VehicleState, cfg: ControllerConfig) -> list[str]:
    """Reasons the vehicle is not ready to fly (empty when ready)."""
    problems = []
    if st.gps.fix_type < cfg.min_fix_type:
        problems.append(f"GPS fix type {st.gps.fix_type} < {cfg.min_fix_type}")
    if st.gps.satellites < cfg.min_satellites:
        problems.append(f"GPS satellites {st.gps.satellites} < {cfg.min_satellites}")
    if not st.health.ekf_ok:
        problems.append("EKF/estimator not healthy")
    bad = [s for s in st.health.unhealthy if s not in ("RC_RECEIVER", "LOGGING", "SENSOR_PROPULSION")]
    if bad:
        problems.append("unhealthy sensors: " + ", ".join(bad))
    if 0 <= st.battery.remaining_pct < cfg.min_battery_pct:
        problems.append(f"battery {st.battery.remaining_pct}% < {cfg.min_battery_pct}%")
    if cfg.require_home_before_arm and not st.home.valid:
        problems.append("home position not set")
    return problems


class MissionController:
    """Flies a `MissionPlan` through a `VehicleBackend`; `run()` blocks, the other methods are thread-safe requests."""

    def __init__(self, backend: VehicleBackend, plan: MissionPlan, config: ControllerConfig | None = None) -> None:
        self.backend = backend
        self.plan = plan
        self.config = config or ControllerConfig()
        self._phase = Phase.IDLE
        self._events: list[ControllerEvent] = []
        self._listeners: list[Callable[[ControllerEvent], None]] = []
        self._lock = threading.Lock()
        self._requests: queue.Queue = queue.Queue()
        self._expected: set[str] = set()
        self._expected_since = 0.0
        self._laps_done = 0
        self._lap_reached_base = 0
        self._left_last = False
        self._stopped_since: float | None = None
        self._resume_seq: int | None = None
        self._outcome = "completed"
        self._reason = ""
        self._before_loss: Phase | None = None
        self._paused_from: Phase | None = None
        self._offset = 0
        self._done = threading.Event()

    # -- public ---------------------------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        """The current phase."""
        return self._phase

    @property
    def events(self) -> tuple[ControllerEvent, ...]:
        """All events so far."""
        with self._lock:
            return tuple(self._events)

    def add_listener(self, callback: Callable[[ControllerEvent], None]) -> None:
        """Call `callback(event)` for every event (from the controller's thread)."""
        with self._lock:
            self._listeners.append(callback)

    def retask(self, lat_deg: float, lon_deg: float, radius_m: float | None = None, turns: float | None = None,
               alt_rel_m: float | None = None) -> str:
        """Ask for an orbit of an incident point with the camera on it, then a resume of the patrol."""
        self._requests.put(("retask", (lat_deg, lon_deg, radius_m, turns, alt_rel_m)))
        return "retask queued"

    def pause(self) -> str:
        """Ask the vehicle to hold position (ArduPilot LOITER, PX4 HOLD)."""
        self._requests.put(("pause", ()))
        return "pause queued"

    def resume(self) -> str:
        """Continue the patrol after a pause (or after the pilot handed back control)."""
        self._requests.put(("resume", ()))
        return "resume queued"

    def return_home(self) -> str:
        """End the patrol early: RTL."""
        self._requests.put(("return", ()))
        return "return queued"

    def abort(self) -> str:
        """Abort: RTL when flying, disarm when on the ground; the flight counts as aborted."""
        self._requests.put(("abort", ()))
        return "abort queued"

    def wait_done(self, timeout: float | None = None) -> bool:
        """Block until run() has finished."""
        return self._done.wait(timeout)

    # -- events ---------------------------------------------------------------------------------
    def _emit(self, kind: str, message: str, **data) -> None:
        ev = ControllerEvent(time.time(), kind, self._phase, message, None, data)
        self._publish(ev)

    def _to(self, phase: Phase, message: str = "", **data) -> None:
        if phase is self._phase:
            return
        ev = ControllerEvent(time.time(), "transition", phase, message or phase.value, self._phase, data)
        self._phase = phase
        self._publish(ev)

    def _publish(self, ev: ControllerEvent) -> None:
        with self._lock:
            self._events.append(ev)
            listeners = list(self._listeners)
        level = logging.WARNING if ev.kind in ("warning", "error") else logging.INFO
        log.log(level, "[%s] %s", ev.phase.value, ev.message)
        for cb in listeners:
            try:
                cb(ev)
            except Exception:  # noqa: BLE001 - a bad listener must not stop a flight
                log.exception("controller listener failed")

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> FlightResult:
        """Fly the whole patrol; returns how it ended (never raises for vehicle/link problems)."""
        try:
            self._connect()
            self._preflight()
            if not self._abort_queued():
                self._upload_mission()
            if self._take_request_if("abort"):
                self._outcome, self._reason = "aborted", "aborted before arming"
                self._to(Phase.DISARMED, "aborted on the ground")
            else:
                self._arm()
                self._takeoff()
                self._start_patrol()
                self._supervise()
        except (PreflightFailed, CommandError, MissionError, TimeoutError, OSError, ValueError) as exc:
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug here must still end with the vehicle in a known state
            log.exception("mission controller error")
            self._fail(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self._done.set()
        ok = self._phase is Phase.DISARMED and self._outcome == "completed"
        return FlightResult(ok, self._outcome, self._phase, self._laps_done, self._reason, self.events)

    def _fail(self, reason: str) -> None:
        self._outcome, self._reason = "failed", reason
        self._emit("error", reason)
        st = None
        try:
            st = self.backend.state()
        except Exception:  # noqa: BLE001
            pass
        if st is not None and st.armed and st.in_air and self.backend.link_up():
            try:  # never leave a flying vehicle in an unknown state: bring it home
                self._command_mode(Intent.RTL)
                self._to(Phase.RETURNING, "failure in flight: returning to launch")
                self._supervise()
                return
            except Exception as exc:  # noqa: BLE001
                self._emit("error", f"RTL after failure refused: {exc}")
        elif st is not None and st.armed and not st.in_air and self.backend.link_up():
            try:  # armed on the ground after a failed take-off: make it safe
                self.backend.disarm()
                self._emit("info", "disarmed on the ground after the failure")
            except Exception as exc:  # noqa: BLE001
                self._emit("error", f"disarm after failure refused: {exc}")
        self._to(Phase.FAILED, reason)

    # -- phases ---------------------------------------------------------------------------------
    def _connect(self) -> None:
        self._to(Phase.CONNECTING)
        self.backend.connect(self.config.connect_timeout_s)
        st = self.backend.state()
        self._emit("info", f"connected: {st.flavour.value} system {st.system_id}, mode {st.mode}",
                   flavour=st.flavour.value, backend=self.backend.name)

    def _preflight(self) -> None:
        self._to(Phase.PREFLIGHT)
        cfg = self.config
        ready = self.backend.wait_state(lambda s: not preflight_problems(s, cfg) or self._abort_queued(),
                                        cfg.preflight_timeout_s)
        if self._abort_queued():
            return
        if ready is None:
            problems = preflight_problems(self.backend.state(), cfg)
            raise PreflightFailed("preflight failed: " + "; ".join(problems))
        if cfg.require_fence and not self.plan.fence_items:
            raise PreflightFailed("preflight failed: no geofence in the plan and a fence is required")
        for name, items, mtype in (("fence", self.plan.fence_items, MissionType.FENCE),
                                   ("rally", self.plan.rally_items, MissionType.RALLY)):
            res = self.backend.upload_items(items, mtype)
            self._emit("info", f"{name} uploaded: {len(items)} items", items=len(items), seconds=round(res.seconds, 3))
        if not ready.home.valid:
            self._emit("warning", "home not reported yet: it must be set at arming")
        self._emit("info", "preflight checks passed", satellites=ready.gps.satellites,
                   battery_pct=ready.battery.remaining_pct)

    def _upload_mission(self) -> None:
        self._to(Phase.UPLOADING)
        if not self.plan.items:
            raise ValueError("the plan has no mission items")
        res = self.backend.upload_items(self.plan.items, MissionType.MISSION)
        self._offset = self.backend.mission_offset()
        self._emit("info", f"mission uploaded: {res.count} items in {res.seconds:.2f} s ({res.resends} re-sends)",
                   items=res.count, seconds=round(res.seconds, 3), resends=res.resends)

    def _arm(self) -> None:
        self._to(Phase.ARMING)
        flavour = self.backend.state().flavour
        if flavour is Flavour.ARDUPILOT:
            self._command_mode(Intent.GUIDED)
        deadline = time.monotonic() + self.config.arm_timeout_s
        while True:
            try:
                self.backend.arm()
                break
            except CommandError as exc:
                if time.monotonic() > deadline or isinstance(exc, (CommandUnsupported, CommandTimeout)):
                    raise
                self._emit("warning", f"arming refused, retrying: {exc}")
                time.sleep(1.0)
        if self.backend.wait_state(lambda s: s.armed, 10.0) is None:
            raise CommandError(400, None, "vehicle acknowledged arming but does not report armed")
        st = self.backend.wait_state(lambda s: s.home.valid, 10.0)
        if st is None:
            self._safe(self.backend.disarm)
            raise PreflightFailed("no home position after arming: disarmed")
        self._emit("info", f"armed; home {st.home.lat_deg:.6f}, {st.home.lon_deg:.6f}, {st.home.alt_amsl_m:.1f} m AMSL",
                   home=[st.home.lat_deg, st.home.lon_deg, st.home.alt_amsl_m])

    def _takeoff(self) -> None:
        self._to(Phase.TAKEOFF, f"taking off to {self.config.takeoff_alt_m:.0f} m")
        alt = self.config.takeoff_alt_m
        for attempt in range(3):
            st = self.backend.state()
            if not st.armed:  # auto-disarmed on the ground (DISARM_DELAY) while a lossy link delayed us
                self._emit("warning", "vehicle disarmed itself before take-off: arming again")
                self._arm()
                self._phase = Phase.TAKEOFF
            try:
                self.backend.takeoff(alt)
                break
            except CommandError as exc:
                if attempt == 2 or self.backend.state().armed:
                    raise
                self._emit("warning", f"take-off refused ({exc})")
        flavour = self.backend.state().flavour
        self._expect({intent_mode(flavour, Intent.GUIDED), intent_mode(flavour, Intent.TAKEOFF),
                      intent_mode(flavour, Intent.HOLD)} if flavour in (Flavour.ARDUPILOT, Flavour.PX4) else set())
        st = self.backend.wait_state(lambda s: s.position.alt_rel_m >= 0.9 * alt or not s.armed,
                                     self.config.takeoff_timeout_s)
        if st is None or not st.armed:
            raise CommandError(22, None, "vehicle did not reach take-off altitude")
        self._emit("info", f"reached {st.position.alt_rel_m:.1f} m", alt_rel_m=round(st.position.alt_rel_m, 2))

    def _start_patrol(self, seq: int | None = None, message: str = "patrol (AUTO)") -> None:
        vseq = self._offset if seq is None else seq
        self.backend.set_current(vseq)
        self._command_mode(Intent.MISSION)
        self._lap_reached_base = self.backend.state().mission.reached_count
        self._left_last = False
        if self._phase is Phase.PATROL:
            self._emit("info", message, seq=vseq - self._offset, vehicle_seq=vseq)
        else:
            self._to(Phase.PATROL, message, seq=vseq - self._offset, vehicle_seq=vseq)

    # -- supervision loop -----------------------------------------------------------------------
    def _supervise(self) -> None:
        deadline = time.monotonic() + self.config.flight_timeout_s
        while self._phase not in (Phase.DISARMED, Phase.FAILED):
            if time.monotonic() > deadline:
                self._emit("error", "flight time limit reached: returning")
                self._outcome, self._reason = "failed", "flight time limit"
                self._safe(lambda: self._command_mode(Intent.RTL))
                deadline = time.monotonic() + 600
            try:
                self._tick()
            except _Interrupted:
                continue
            except (CommandError, MissionError) as exc:
                self._emit("warning", f"command failed: {exc}")
            time.sleep(self.config.poll_s)

    def _safe(self, fn) -> bool:
        try:
            fn()
            return True
        except (CommandError, MissionError) as exc:
            self._emit("warning", f"command failed: {exc}")
            return False

    def _tick(self) -> None:
        st = self.backend.state()
        if self._check_link(st):
            return
        if not st.armed and self._phase in AIRBORNE and not (st.in_air and st.landed_state == "IN_AIR"):
            self._to(Phase.DISARMED, "landed and disarmed",
                     lat=st.position.lat_deg, lon=st.position.lon_deg, alt_rel_m=round(st.position.alt_rel_m, 2))
            return
        self._handle_request(st)
        if self._phase in (Phase.DISARMED, Phase.FAILED):
            return
        self._watch_mode(st)
        if self._phase is Phase.PATROL:
            self._watch_progress(st)
        elif self._phase is Phase.RETURNING:
            if st.mode in LANDING_MODES or st.landed_state == "LANDING" or (
                    st.home.valid and st.position.alt_rel_m < 3.0
                    and _distance_m(st.home.lat_deg, st.home.lon_deg, st.position.lat_deg, st.position.lon_deg) < 5.0):
                self._to(Phase.LANDING, "landing")

    def _check_link(self, st: VehicleState) -> bool:
        """Handle link loss/restoration; True while the link is down."""
        up = self.backend.link_up()
        if not up:
            if self._phase is not Phase.LINK_LOST:
                self._before_loss = self._phase
                q = self.backend.link_quality()
                self._to(Phase.LINK_LOST, "link lost: the autopilot's own failsafe is in charge",
                         last_mode=st.mode, heartbeat_age_s=q.last_heartbeat_age_s if q else None)
            return True
        if self._phase is Phase.LINK_LOST:
            self._emit("info", "link restored")
            self._safe(self.backend.on_link_restored)
            st = self.backend.state()
            prev = self._before_loss or Phase.PATROL
            self._phase = prev  # resume bookkeeping silently, then announce the re-sync below
            if not st.armed:
                if prev not in (Phase.RETURNING, Phase.LANDING):
                    self._foreign("RTL")
                self._to(Phase.DISARMED, "vehicle landed and disarmed during the link loss")
            elif st.mode in RETURN_MODES and st.mode not in self._expected:
                self._foreign(st.mode)
                self._to(Phase.RETURNING, f"vehicle is in {st.mode} after the link loss (failsafe); following it")
            elif st.mode in LANDING_MODES and st.mode not in self._expected:
                self._foreign(st.mode)
                self._to(Phase.LANDING, f"vehicle is in {st.mode} after the link loss; following it")
            elif self._expected and canonical(st.flavour, st.mode) not in self._expected:
                self._foreign(st.mode)
                self._expected = set()
                self._to(Phase.PILOT_CONTROL, f"vehicle is in {st.mode} after the link loss: not interfering")
            elif prev in (Phase.RETASK, Phase.RESUMING):
                self._emit("info", "orbit interrupted by the link loss")
                self._resume_patrol()
            else:
                self._publish(ControllerEvent(time.time(), "transition", prev, f"continuing {prev.value}",
                                              Phase.LINK_LOST, {}))
                self._expected_since = time.monotonic()
        return False

    def _watch_mode(self, st: VehicleState) -> None:
        """Follow mode changes made by others (RC switch, failsafe, another GCS)."""
        if self._phase not in (Phase.PATROL, Phase.RETASK, Phase.RESUMING, Phase.PAUSED, Phase.TAKEOFF,
                               Phase.PILOT_CONTROL, Phase.RETURNING):
            return
        mode = canonical(st.flavour, st.mode)
        if self._phase is Phase.PILOT_CONTROL:
            if mode in self._mission_modes(st):
                if self._outcome == "pilot":
                    self._outcome, self._reason = "completed", ""
                self._to(Phase.PATROL, f"{mode} selected again: patrol continues")
                self._expect(self._mission_modes(st))
            elif mode in RETURN_MODES:
                self._to(Phase.RETURNING, f"{mode} selected by the pilot or a failsafe")
            elif mode in LANDING_MODES:
                self._to(Phase.LANDING, f"{mode} selected by the pilot or a failsafe")
            return
        if not self._expected or mode in self._expected or time.monotonic() - self._expected_since < self.config.mode_grace_s:
            return
        last_text = st.statustext[-1].text if st.statustext else ""
        if self._phase is Phase.RETURNING:
            if mode in LANDING_MODES:
                self._to(Phase.LANDING, f"{mode} (autopilot)")
                return
            self._expected = set()
            self._foreign(mode)
            self._to(Phase.PILOT_CONTROL, f"mode changed to {mode} by someone else while returning: not interfering")
            return
        self._foreign(mode)
        if mode in RETURN_MODES:
            self._to(Phase.RETURNING, f"autopilot switched to {mode} (failsafe or pilot); following it",
                     mode=mode, statustext=last_text)
            self._expected = RETURN_MODES | LANDING_MODES
        elif mode in LANDING_MODES:
            self._to(Phase.LANDING, f"autopilot switched to {mode} (failsafe or pilot); following it",
                     mode=mode, statustext=last_text)
        else:
            self._expected = set()
            self._to(Phase.PILOT_CONTROL, f"mode changed to {mode} by someone else: the pilot has control",
                     mode=mode, statustext=last_text)

    def _foreign(self, mode: str) -> None:
        """Record that someone else (pilot or failsafe) took over: the patrol did not complete."""
        if self._outcome == "completed":
            self._outcome = "pilot" if mode not in RETURN_MODES | LANDING_MODES else "failsafe"
            self._reason = f"vehicle switched to {mode} by the pilot or a failsafe"

    def _mission_modes(self, st: VehicleState) -> set[str]:
        return {intent_mode(st.flavour, Intent.MISSION)} if st.flavour in (Flavour.ARDUPILOT, Flavour.PX4) else set()

    def _watch_progress(self, st: VehicleState) -> None:
        items = self.plan.items
        cur_plan = st.mission.current_seq - self._offset
        if 0 <= cur_plan < len(items) and items[cur_plan].command in (Cmd.NAV_RETURN_TO_LAUNCH, Cmd.NAV_LAND):
            self._laps_done += 1
            if self._laps_done < self.config.laps:
                self._emit("info", f"lap {self._laps_done} of {self.config.laps} completed", laps=self._laps_done)
                self._start_patrol(message=f"lap {self._laps_done + 1}")
                return
            self._expected = RETURN_MODES | LANDING_MODES | self._mission_modes(st)
            self._to(Phase.RETURNING, "mission's return item reached", seq=cur_plan)
            return
        last = self._last_nav_index()
        if last is None:
            return
        last_v = last + self._offset
        if st.mission.current_seq != last_v:
            self._left_last = True  # the vehicle took the new current item (not a stale MISSION_CURRENT)
        # with DO_JUMP loops the last waypoint is passed once per loop: only a stop there ends the mission
        has_jump = any(it.command == Cmd.DO_JUMP for it in items)
        reached = (not has_jump and st.mission.reached_count > self._lap_reached_base
                   and st.mission.reached_seq >= last_v)
        stopped = False
        if self._left_last and st.mission.current_seq == last_v and st.position.valid:
            item = items[last]
            near = _distance_m(item.lat_deg, item.lon_deg, st.position.lat_deg, st.position.lon_deg) < self.config.arrive_m
            stopped = near and st.position.ground_speed_mps < 1.0
        now = time.monotonic()
        if not stopped:
            self._stopped_since = None
        elif self._stopped_since is None:
            self._stopped_since = now
        settle = self.config.jump_settle_s if has_jump else 0.0
        if stopped and now - self._stopped_since >= settle:
            reached = True
        if st.mission.mission_state == 5:  # MISSION_STATE_COMPLETE
            reached = True
        if not reached:
            return
        self._laps_done += 1
        self._emit("info", f"lap {self._laps_done} of {self.config.laps} completed", laps=self._laps_done)
        if self._laps_done < self.config.laps:
            self._start_patrol(message=f"lap {self._laps_done + 1}")
            return
        self._command_mode(Intent.RTL)
        self._to(Phase.RETURNING, "patrol complete: returning to launch")

    def _last_nav_index(self) -> int | None:
        idx = [i for i, it in enumerate(self.plan.items) if it.is_nav_position and it.command != Cmd.NAV_TAKEOFF]
        return idx[-1] if idx else None

    # -- requests -------------------------------------------------------------------------------
    def _abort_queued(self) -> bool:
        return any(req[0] == "abort" for req in list(self._requests.queue))

    def _take_request_if(self, kind: str) -> bool:
        pending = []
        found = False
        while True:
            try:
                req = self._requests.get_nowait()
            except queue.Empty:
                break
            if req[0] == kind:
                found = True
            else:
                pending.append(req)
        for req in pending:
            self._requests.put(req)
        return found

    def _handle_request(self, st: VehicleState) -> None:
        try:
            kind, args = self._requests.get_nowait()
        except queue.Empty:
            return
        flying = self._phase in (Phase.PATROL, Phase.RETASK, Phase.RESUMING, Phase.PAUSED)
        if kind == "abort":
            self._outcome, self._reason = "aborted", "aborted by the operator"
            self._command_mode(Intent.RTL)
            self._to(Phase.RETURNING, "abort: returning to launch")
        elif kind == "return":
            self._command_mode(Intent.RTL)
            self._to(Phase.RETURNING, "return requested: returning to launch")
        elif kind == "pause" and flying and self._phase is not Phase.PAUSED:
            self._paused_from = self._phase
            if self._resume_seq is None:
                self._resume_seq = st.mission.current_seq
            self._command_mode(Intent.HOLD)
            self._to(Phase.PAUSED, "paused: holding position", seq=self._resume_seq - self._offset)
        elif kind == "resume" and self._phase in (Phase.PAUSED, Phase.PILOT_CONTROL):
            self._resume_patrol()
        elif kind == "retask" and flying:
            self._retask(st, *args)
        else:
            self._emit("warning", f"{kind} ignored in phase {self._phase.value}")

    def _resume_patrol(self) -> None:
        seq = self._resume_seq if self._resume_seq is not None and self._resume_seq >= self._offset else self._offset
        self._to(Phase.RESUMING, f"resuming patrol at item {seq - self._offset}", seq=seq - self._offset)
        self._resume_seq = None
        self._start_patrol(seq, message=f"patrol resumed at item {seq - self._offset}")

    def _retask(self, st: VehicleState, lat: float, lon: float, radius_m, turns, alt_rel_m) -> None:
        cfg = self.config
        radius = radius_m or cfg.orbit_radius_m
        turns = turns or cfg.orbit_turns
        if self._resume_seq is None:
            self._resume_seq = st.mission.current_seq
        home_amsl = st.home.alt_amsl_m if st.home.valid else st.position.alt_amsl_m - st.position.alt_rel_m
        alt_amsl = home_amsl + alt_rel_m if alt_rel_m is not None else st.position.alt_amsl_m
        self._command_mode(Intent.GUIDED)
        self._to(Phase.RETASK, f"retask: orbit {lat:.6f}, {lon:.6f} r={radius:.0f} m", lat=lat, lon=lon,
                 radius_m=radius, resume_seq=self._resume_seq - self._offset)
        ground = home_amsl
        try:
            self.backend.set_roi(lat, lon, ground)
        except CommandError as exc:
            self._emit("warning", f"ROI refused, orbiting without it: {exc}")
        frame = LocalFrame(lat, lon, 0.0, "incident")
        # start at the orbit point nearest the vehicle, go round counter-clockwise
        e0, n0, _ = frame.to_enu(st.position.lat_deg, st.position.lon_deg, 0.0)
        start = math.atan2(float(n0), float(e0))
        n_points = max(3, int(round(cfg.orbit_points * turns)))
        for k in range(n_points + 1):
            ang = start + 2 * math.pi * k / cfg.orbit_points
            plat, plon, _ = frame.to_wgs84(radius * math.cos(ang), radius * math.sin(ang), 0.0)
            plat, plon = float(plat), float(plon)
            self.backend.goto(plat, plon, alt_amsl)
            self._expect({canonical(st.flavour, intent_mode(st.flavour, Intent.GUIDED))}
                         if st.flavour in (Flavour.ARDUPILOT, Flavour.PX4) else set())
            self._wait_arrival(plat, plon, k, n_points)
        self._emit("info", "orbit complete", points=n_points)
        self._safe(self.backend.clear_roi)
        self._resume_patrol()

    def _wait_arrival(self, lat: float, lon: float, k: int, n: int) -> None:
        deadline = time.monotonic() + self.config.orbit_point_timeout_s
        while time.monotonic() < deadline:
            st = self.backend.state()
            if self._check_link(st):
                raise _Interrupted()
            before = self._phase
            self._watch_mode(st)
            if self._phase is not before:
                raise _Interrupted()
            if not self._requests.empty():
                kind = self._requests.queue[0][0]
                if kind in ("abort", "return", "pause"):
                    self._handle_request(st)
                    raise _Interrupted()
            if st.position.valid and _distance_m(lat, lon, st.position.lat_deg, st.position.lon_deg) < self.config.orbit_acceptance_m:
                return
            time.sleep(self.config.poll_s)
        self._emit("warning", f"orbit point {k + 1}/{n + 1} not reached in time; going on")

    # -- modes ----------------------------------------------------------------------------------
    def _expect(self, modes: set[str]) -> None:
        self._expected = set(modes)
        self._expected_since = time.monotonic()

    def _command_mode(self, intent: Intent) -> str:
        st = self.backend.state()
        mode = self.backend.set_intent(intent)
        expected = {mode}
        if intent is Intent.RTL:
            expected |= RETURN_MODES | LANDING_MODES
        if intent is Intent.MISSION and st.flavour is Flavour.PX4:
            expected |= {"AUTO.RTL", "AUTO.LAND", "AUTO.LOITER"}  # PX4 switches by itself at mission end
        self._expect(expected)
        return mode
