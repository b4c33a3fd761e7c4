"""One simulated drone of a scenario: the sims vehicle (stepped by the runner), the flight side flying its
patrol through ``flight.controller`` in a thread, and the companion side (read-only MAVLink pose link +
the onboard app) that the runner feeds with rendered frames."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aeropatrol.scenario_config import Drone, Scenario

log = logging.getLogger(__name__)


@dataclass
class FlightEvent:
    """A flight controller event stamped with sim time."""

    sim_s: float
    kind: str
    phase: str
    message: str


@dataclass
class DroneSide:
    """Everything that belongs to one drone; ``start``/``stop`` own its threads and sockets."""

    spec: Drone
    vehicle: object
    plan: object
    out_dir: Path
    events: list[FlightEvent] = field(default_factory=list)
    result: object = None
    error: str | None = None
    patrol_started_s: float | None = None
    controller: object = None
    companion: object = None
    pose_reader: object = None
    app: object = None
    camera: object = None
    frames: int = 0
    pending: list = field(default_factory=list)
    truth_frames: list = field(default_factory=list)
    predictions: list = field(default_factory=list)
    track: list = field(default_factory=list)  # (sim_s, lat, lon, alt) true path at 1 Hz
    _thread: threading.Thread | None = None

    @property
    def phase(self) -> str:
        """The controller's phase name ('idle' before it starts)."""
        return self.controller.phase.value if self.controller is not None else "idle"

    @property
    def done(self) -> bool:
        """The flight side finished (landed and disarmed, or failed)."""
        return self._thread is not None and not self._thread.is_alive()

    def start_flight(self) -> None:
        """Start the mission controller (GCS link over TCP) in its own thread."""
        from flight.backend import PymavlinkBackend
        from flight.controller import ControllerConfig, MissionController
        from flight.link import LinkConfig

        endpoint = self.vehicle.endpoints[0]
        cfg = ControllerConfig(takeoff_alt_m=self.spec.patrol.altitude_m, laps=self.spec.patrol.laps, connect_timeout_s=60.0,
                               preflight_timeout_s=300.0, arm_timeout_s=120.0, takeoff_timeout_s=600.0,
                               flight_timeout_s=7200.0)
        # lockstep: the autopilot is silent while the runner builds evidence, so allow a longer heartbeat gap
        backend = PymavlinkBackend(LinkConfig(endpoint, heartbeat_timeout_s=20.0))
        self.controller = MissionController(backend, self.plan.to_mission_plan(), cfg)
        self.controller.add_listener(self._on_event)
        self._thread = threading.Thread(target=self._fly, name=f"flight-{self.spec.id}", daemon=True)
        self._thread.start()

    def _on_event(self, ev) -> None:
        now = self.vehicle.clock.now
        self.events.append(FlightEvent(now, ev.kind, ev.phase.value, ev.message))
        log.info("[%s] t=%.1f %s %s: %s", self.spec.id, now, ev.kind, ev.phase.value, ev.message)
        if ev.phase.value == "patrol" and self.patrol_started_s is None:
            self.patrol_started_s = now

    def _fly(self) -> None:
        try:
            self.result = self.controller.run()
        except Exception as exc:  # noqa: BLE001 (reported as a component failure, never a hang)
            self.error = f"flight controller crashed: {exc!r}"
            log.exception("flight controller crashed")
        finally:
            try:
                self.controller.backend.close()
            except Exception:  # noqa: BLE001
                pass

    def start_companion(self, clock) -> None:
        """Open the read-only companion MAVLink link, ask for the pose streams, attach the pose reader."""
        from pymavlink.dialects.v20 import ardupilotmega as mav

        from flight.link import LinkConfig, LinkRole, MavLink
        from vision.pose import ClockSync, PoseReader

        self.companion = MavLink(LinkConfig(self.vehicle.endpoints[0], role=LinkRole.COMPANION, heartbeat_timeout_s=30.0,
                                                   source_system=self.vehicle.sysid, target_system=self.vehicle.sysid)).open()
        self.pose_reader = PoseReader(clock=ClockSync(clock=clock), target_system=self.vehicle.sysid).attach(self.companion)
        self._stream_requests = [mav.MAVLink_request_data_stream_message(self.vehicle.sysid, 1, sid, hz, 1)
                                 for sid, hz in ((mav.MAV_DATA_STREAM_POSITION, 20), (mav.MAV_DATA_STREAM_EXTRA1, 20),
                                                 (mav.MAV_DATA_STREAM_EXTRA3, 4))]
        self.request_streams()

    def request_streams(self) -> None:
        """(Re-)send the stream requests on the companion link (ArduPilot streams nothing until asked)."""
        for msg in self._stream_requests:
            try:
                self.companion.send(msg)
            except Exception as exc:  # noqa: BLE001
                log.debug("stream request not sent: %s", exc)

    def wait_flight(self, timeout_s: float) -> None:
        """Join the flight thread."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def stop_flight_and_companion(self) -> None:
        """Abort the flight if it still runs and close the companion link (the onboard app stays open)."""
        if self._thread is not None and self._thread.is_alive():
            try:
                self.controller.abort()
            except Exception:  # noqa: BLE001
                pass
            self._thread.join(5.0)
        if self.companion is not None:
            self.companion.close()
            self.companion = None


def make_vehicle(scenario: Scenario, drone: Drone, index: int, home: tuple[float, float, float], epoch: float):
    """A lockstep ``SimVehicle`` for one drone: free TCP port, wind, battery, MAVLink faults."""
    from sims.vehicle import FaultConfig, SimVehicle, VehicleConfig

    w, tel = scenario.wind, scenario.telemetry
    params = {"SIM_WIND_SPD": w.speed_mps, "SIM_WIND_DIR": w.direction_deg, "SIM_WIND_TURB": w.gust_mps,
              # sim time runs up to `speedup` x wall time while the GCS heartbeat is paced by the wall clock
              "FS_GCS_ENABLE": 0, "FENCE_RADIUS": 2000, "RTL_ALT": max(1500, int(drone.patrol.altitude_m * 100)),
              "WPNAV_SPEED": drone.patrol.speed_mps * 100, "RTL_LOIT_TIME": 1000}
    cfg = VehicleConfig(home_lat=home[0], home_lon=home[1], home_alt_m=home[2], flavour=drone.flavour, sysid=index + 1,
                        seed=scenario.seed * 31 + index, tcp_port=0, param_overrides=params, gps_lock_s=2.0,
                        battery_percent=drone.battery_pct,
                        faults=FaultConfig(loss_pct=tel.loss_pct, latency_s=tel.delay_s))
    v = SimVehicle(cfg)
    v.clock.epoch_unix_s = epoch
    return v


def companion_clock(vehicle):
    """The companion computer's clock in the simulation: the vehicle's unix time (epoch + sim seconds)."""
    return lambda: vehicle.clock.unix_time()


def sleep_until(deadline: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``deadline`` (no-op when late)."""
    dt = deadline - time.monotonic()
    if dt > 0:
        time.sleep(dt)
