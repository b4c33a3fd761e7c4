"""SimVehicle: one simulated multicopter with its MAVLink endpoints; ticks physics, answers and streams."""
from __future__ import annotations

import math
import random
import threading
from typing import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from geo.frames import LocalFrame

from .autopilot import Autopilot, Events
from .commands import CommandHandler
from .config import VehicleConfig
from .failsafe import FailsafeMonitor
from .faults import FaultConfig
from .fence import FenceChecker, FenceGeometry
from .links import Link, MemoryLink, TcpLink, TcpServer, UdpOutLink
from .mission_protocol import MissionProtocol
from .mission_store import FENCE, MISSION, MissionItem, MissionStore
from .modes import Flavour, Mode, mode_name
from .params import ParamError, ParamStore
from .pose import TruePose
from .streams import ARDUPILOT_ONLY, PX4_DEFAULT_RATES_HZ, StreamSet
from .telemetry import BUILDERS, heartbeat

M = mavlink
_MISSION_MSGS = frozenset({"MISSION_COUNT", "MISSION_ITEM", "MISSION_ITEM_INT", "MISSION_REQUEST_LIST",
                           "MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_CLEAR_ALL", "MISSION_ACK"})


class SimVehicle:
    """A simulated ArduPilot/PX4 multicopter. Not thread-safe by itself: the runner (or a test) calls `step()`;
    public methods take `self.lock` so other threads may inspect or inject faults while it runs."""

    def __init__(self, config: VehicleConfig, link_clock: Callable[[], float] | None = None) -> None:
        from .clock import SimClock  # local: keeps the import graph obvious

        self.config = config
        self.flavour = config.flavour
        self.sysid = config.sysid
        self.lock = threading.RLock()
        self.rng = random.Random(config.seed * 7919 + config.sysid)
        self.clock = SimClock(dt=1.0 / config.physics_hz)
        if config.epoch_unix_s is not None:
            self.clock.epoch_unix_s = config.epoch_unix_s
        self.link_clock = link_clock or (lambda: self.clock.now)
        self.params = ParamStore(config.params_path, config.param_overrides)
        self.frame = LocalFrame(config.home_lat, config.home_lon, config.home_alt_m, name=f"sim{config.sysid}")
        self.store = MissionStore()
        self.autopilot = Autopilot(
            self.flavour, self.params, self.frame,
            Events(self.statustext, self._on_mission_current, self._on_item_reached, self._on_home_changed),
            self.store, random.Random(self.rng.random()), gps_lock_s=config.gps_lock_s,
            battery_percent=config.battery_percent, initial_heading_deg=config.home_heading_deg)
        self.autopilot.gps.outages = list(config.gps_outages)
        self.fence = FenceChecker()
        self.failsafe = FailsafeMonitor(self.autopilot, self.fence, lambda: self.link_clock())
        self.protocol = MissionProtocol(self.store, lambda: self.link_clock(), self._on_store_changed,
                                        self._home_item, self.statustext)
        self.commands = CommandHandler(self)
        self.links: list[Link] = []
        self.servers: list[TcpServer] = []
        self._faults = config.faults
        self._next_heartbeat = 0.0
        self._pose_listeners: list[Callable[[TruePose], None]] = []
        self._global_cache: tuple[int, tuple[float, float, float, float]] | None = None
        #: Exceptions raised while handling received messages (kept for tests and logs).
        self.handling_errors: list[str] = []
        if config.tcp_port is not None:
            self.servers.append(TcpServer(config.tcp_host, config.tcp_port))
        for host, port in config.udp_out:
            self._add_link(UdpOutLink(host, port, self.sysid, self._link_now, self._faults, self.rng, f"udp:{host}:{port}"))

    def _link_now(self) -> float:
        """Link-clock time: wall seconds when paced by a runner, sim seconds in lockstep."""
        return self.link_clock()

    # ---- endpoints and links
    @property
    def endpoints(self) -> list[str]:
        """Connection strings a client uses: 'tcp:127.0.0.1:5760' for the server, 'udp:HOST:PORT' the GCS listens on."""
        return [s.endpoint for s in self.servers] + [l.endpoint for l in self.links if isinstance(l, UdpOutLink)]

    def _add_link(self, link: Link) -> Link:
        """Register a link with its own stream table (PX4 links start with PX4's default streams)."""
        link.streams = StreamSet(ARDUPILOT_ONLY if self.flavour is Flavour.PX4 else frozenset())
        if self.flavour is Flavour.PX4:  # PX4 streams by default; ArduPilot waits to be asked
            for msg_id, rate in PX4_DEFAULT_RATES_HZ.items():
                link.streams.set_rate(msg_id, rate, self.clock.now)
        self.links.append(link)
        return link

    def add_memory_link(self, client_sysid: int = 255, client_compid: int = 190) -> MemoryLink:
        """An in-process link for deterministic tests (see MemoryLink.client_send / client_messages)."""
        with self.lock:
            link = MemoryLink(self.sysid, self._link_now, self._faults, self.rng, "memory",
                              client_sysid=client_sysid, client_compid=client_compid)
            return self._add_link(link)

    def filenos(self) -> list[int]:
        """Sockets the runner waits on."""
        fds = [s.fileno() for s in self.servers]
        fds += [fd for fd in (l.fileno() for l in self.links) if fd is not None]
        return fds

    def set_faults(self, faults: FaultConfig) -> None:
        """Apply a fault model to every present and future link."""
        with self.lock:
            self._faults = faults
            for link in self.links:
                link.set_faults(faults)

    def cut_links(self, seconds: float) -> None:
        """Cut every link (both directions) for `seconds` of link-clock time starting now."""
        with self.lock:
            now = self.link_clock()
            cuts = list(self._faults.cuts) + [(now, now + seconds)]
            self.set_faults(FaultConfig(self._faults.loss_pct, self._faults.latency_s, self._faults.jitter_s,
                                        self._faults.duplicate_pct, self._faults.reorder_pct, cuts))

    def lose_gps(self, seconds: float) -> None:
        """GPS outage for `seconds` of sim time starting now."""
        with self.lock:
            self.autopilot.gps.lose_for(self.clock.now, seconds)

    def close(self) -> None:
        """Close every socket."""
        with self.lock:
            for s in self.servers:
                s.close()
            for link in self.links:
                link.close()

    # ---- outgoing
    def send_all(self, msg) -> None:
        """Send one message on every link."""
        for link in self.links:
            link.send(msg)

    def statustext(self, text: str, severity: int = M.MAV_SEVERITY_INFO) -> None:
        """STATUSTEXT to every link (50 chars max, as the message holds)."""
        self.send_all(M.MAVLink_statustext_message(severity, text[:50].encode(), 0, 0))

    def _on_mission_current(self, seq: int) -> None:
        """Announce the current mission item (MISSION_CURRENT) on every link."""
        self.send_all(BUILDERS[M.MAVLINK_MSG_ID_MISSION_CURRENT](self))

    def _on_item_reached(self, seq: int) -> None:
        """Announce a reached item (MISSION_ITEM_REACHED + STATUSTEXT) on every link."""
        self.send_all(M.MAVLink_mission_item_reached_message(seq))
        self.statustext(f"Reached command #{seq}", M.MAV_SEVERITY_INFO)

    def _on_home_changed(self) -> None:
        """Send the new HOME_POSITION on every link."""
        msg = BUILDERS[M.MAVLINK_MSG_ID_HOME_POSITION](self)
        if msg is not None:
            self.send_all(msg)

    def _home_item(self) -> MissionItem | None:
        """ArduPilot's mission item 0 (the current home); None for PX4."""
        if self.flavour is not Flavour.ARDUPILOT:
            return None
        h = self.autopilot.home
        if h is None:
            return MissionItem(0, M.MAV_FRAME_GLOBAL_INT, M.MAV_CMD_NAV_WAYPOINT, 0, 1, 0, 0, 0, 0, 0, 0, 0.0)
        return MissionItem(0, M.MAV_FRAME_GLOBAL_INT, M.MAV_CMD_NAV_WAYPOINT, 0, 1, 0, 0, 0, 0,
                           int(h.lat * 1e7), int(h.lon * 1e7), h.alt)

    def _on_store_changed(self, mission_type: int) -> None:
        """Reload the executor or the fence after an upload or clear."""
        if mission_type in (MISSION, M.MAV_MISSION_TYPE_ALL):
            self.autopilot.executor.load(self.store.items[MISSION])
        if mission_type in (FENCE, M.MAV_MISSION_TYPE_ALL):
            self.fence.geometry = FenceGeometry.from_items(self.store.items[FENCE], self.frame)

    def set_mission_current(self, seq: int) -> bool:
        """MISSION_SET_CURRENT / DO_SET_MISSION_CURRENT."""
        ok = self.autopilot.executor.set_current(self.autopilot, seq)
        if not ok:
            self.statustext(f"Mission set current: no item {seq}", M.MAV_SEVERITY_WARNING)
        return ok

    # ---- incoming
    def _handle_safely(self, link: Link, msg) -> None:
        """A malformed or unexpected message must never stop the vehicle: report it and go on."""
        try:
            self.handle(link, msg)
        except Exception as exc:  # noqa: BLE001 - the simulator keeps flying, the GCS is told
            self.handling_errors.append(f"{msg.get_type()}: {exc!r}")
            del self.handling_errors[:-20]
            self.statustext(f"Sim: bad {msg.get_type()}: {type(exc).__name__}", M.MAV_SEVERITY_ERROR)
            if msg.get_type() in ("COMMAND_LONG", "COMMAND_INT"):
                link.send(M.MAVLink_command_ack_message(msg.command, M.MAV_RESULT_FAILED, 0, 0, msg.get_srcSystem(),
                                                        msg.get_srcComponent()))

    def handle(self, link: Link, msg) -> None:
        """Dispatch one received message."""
        target = getattr(msg, "target_system", 0)
        if target not in (0, self.sysid):
            return
        kind = msg.get_type()
        if kind == "HEARTBEAT":
            if msg.type == M.MAV_TYPE_GCS:
                self.failsafe.gcs_heartbeat(msg.get_srcSystem())
        elif kind in ("COMMAND_LONG", "COMMAND_INT"):
            if getattr(msg, "target_component", 0) in (0, M.MAV_COMP_ID_AUTOPILOT1):
                self.commands.handle(link, msg)
        elif kind in _MISSION_MSGS:
            self.protocol.handle(link, msg)
        elif kind == "MISSION_SET_CURRENT":
            self.set_mission_current(msg.seq)
        elif kind == "SET_MODE":
            self.commands.set_mode_message(link, msg)
        elif kind == "REQUEST_DATA_STREAM":
            link.streams.request_data_stream(msg.req_stream_id, msg.req_message_rate, bool(msg.start_stop), self.clock.now)
        elif kind == "PARAM_REQUEST_LIST":
            for name in self.params.names:
                link.send(self._param_value(name))
        elif kind == "PARAM_REQUEST_READ":
            self._param_read(link, msg)
        elif kind == "PARAM_SET":
            self._param_set(msg)
        elif kind == "TIMESYNC":
            if msg.tc1 == 0:
                link.send(M.MAVLink_timesync_message(int(self.clock.now * 1e9), msg.ts1))
        elif kind == "SET_POSITION_TARGET_GLOBAL_INT":
            self._position_target_global(msg)
        elif kind == "SET_POSITION_TARGET_LOCAL_NED":
            self._position_target_local(msg)
        elif kind == "GIMBAL_MANAGER_SET_PITCHYAW":
            if math.isfinite(msg.pitch):
                self.autopilot.gimbal_pitch(math.degrees(msg.pitch))

    def _param_value(self, name: str):
        """PARAM_VALUE for one parameter in the flavour's encoding."""
        bytewise = self.flavour is Flavour.PX4
        return M.MAVLink_param_value_message(name.encode(), self.params.wire_value(name, bytewise),
                                             self.params.type_of(name), len(self.params.names), self.params.index(name))

    def _param_read(self, link: Link, msg) -> None:
        """PARAM_REQUEST_READ by index or by name."""
        if msg.param_index >= 0:
            if msg.param_index < len(self.params.names):
                link.send(self._param_value(self.params.names[msg.param_index]))
            return
        name = msg.param_id.rstrip("\x00") if isinstance(msg.param_id, str) else msg.param_id.decode().rstrip("\x00")
        if name in self.params.values:
            link.send(self._param_value(name))

    def _param_set(self, msg) -> None:
        """PARAM_SET: store, persist, apply, echo PARAM_VALUE to every link."""
        name = msg.param_id.rstrip("\x00") if isinstance(msg.param_id, str) else msg.param_id.decode().rstrip("\x00")
        if name not in self.params.values:
            self.statustext(f"Param write denied: unknown {name}", M.MAV_SEVERITY_WARNING)
            return
        value = ParamStore.from_wire(msg.param_value, self.params.type_of(name), self.flavour is Flavour.PX4)
        try:
            self.params.set(name, value)
        except (ParamError, OSError) as exc:
            self.statustext(f"Param write failed: {name}: {type(exc).__name__}", M.MAV_SEVERITY_WARNING)
            return
        self.autopilot.apply_params()
        self.send_all(self._param_value(name))

    def _position_target_global(self, msg) -> None:
        """SET_POSITION_TARGET_GLOBAL_INT in GUIDED: position (any global frame) or velocity."""
        ap = self.autopilot
        if ap.mode is not Mode.GUIDED or not ap.armed or ap.landed:
            return
        mask = msg.type_mask
        pos_ignored = mask & 0b111 == 0b111
        vel_ignored = mask & 0b111000 == 0b111000
        if not mask & M.POSITION_TARGET_TYPEMASK_YAW_IGNORE and math.isfinite(msg.yaw):
            ap.guided_yaw = msg.yaw
        if not pos_ignored:
            e, n, _ = ap.global_to_enu(msg.lat_int / 1e7, msg.lon_int / 1e7, ap.frame.alt)
            if msg.coordinate_frame in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
                u = msg.alt - ap.frame.alt
            else:
                u = ap.home_u() + msg.alt
            ap.goto(e, n, u)
        elif not vel_ignored:
            ap.set_velocity(msg.vy, msg.vx, -msg.vz)

    def _position_target_local(self, msg) -> None:
        """SET_POSITION_TARGET_LOCAL_NED in GUIDED/OFFBOARD: MAV_FRAME_LOCAL_NED from the EKF origin (start point)."""
        ap = self.autopilot
        if ap.mode is not Mode.GUIDED or not ap.armed or ap.landed or msg.coordinate_frame != M.MAV_FRAME_LOCAL_NED:
            return
        mask = msg.type_mask
        if not mask & M.POSITION_TARGET_TYPEMASK_YAW_IGNORE and math.isfinite(msg.yaw):
            ap.guided_yaw = msg.yaw
        if mask & 0b111 != 0b111:
            ap.goto(msg.y, msg.x, -msg.z)
        elif mask & 0b111000 != 0b111000:
            ap.set_velocity(msg.vy, msg.vx, -msg.vz)

    # ---- time
    def service_io(self) -> None:
        """Accept clients, read and handle everything that arrived, run protocol timers, flush due packets."""
        with self.lock:
            self._receive_all()
            for link in self.links:
                link.flush()

    def _receive_all(self) -> None:
        """Accept new clients, handle every message that arrived, run the mission-protocol timers."""
        self._accept()
        for link in list(self.links):
            for msg in link.receive():
                self._handle_safely(link, msg)
        self.protocol.update()

    def step(self) -> None:
        """One physics step: read links, fly, run failsafes, send heartbeats and due streams, flush."""
        with self.lock:
            self._receive_all()
            now = self.clock.advance()
            self.autopilot.step(self.clock.dt)
            self.failsafe.update()
            if now >= self._next_heartbeat:
                self._next_heartbeat = now + 1.0
                self.send_all(heartbeat(self))
            for link in self.links:
                due = link.streams.due(now)
                for msg_id in due:
                    msg = BUILDERS[msg_id](self)
                    if msg is not None:
                        link.send(msg)
                link.flush()
            self.links = [l for l in self.links if not l.closed or isinstance(l, MemoryLink)]
            if self._pose_listeners:
                pose = self.true_pose()
                for cb in self._pose_listeners:
                    cb(pose)

    def _accept(self) -> None:
        """Turn waiting TCP clients into links."""
        for server in self.servers:
            for sock in server.accept():
                self._add_link(TcpLink(sock, self.sysid, self._link_now, self._faults, self.rng,
                                       f"tcp:{server.port}"))

    def advance(self, seconds: float) -> None:
        """Step for `seconds` of sim time (lockstep use: tests and benchmarks drive time themselves)."""
        for _ in range(max(1, int(round(seconds / self.clock.dt)))):
            self.step()

    def estimated_global(self) -> tuple[float, float, float, float]:
        """Estimated (lat, lon, alt AMSL, alt above home) for telemetry, converted once per physics step."""
        cached = self._global_cache
        if cached is not None and cached[0] == self.clock.steps:
            return cached[1]
        ap = self.autopilot
        e, n, u = ap.estimate_enu()
        lat, lon, alt = ap.enu_to_global(e, n, u)
        value = (lat, lon, alt, u - ap.home_u())
        self._global_cache = (self.clock.steps, value)
        return value

    # ---- truth for the camera and tests
    def true_pose(self) -> TruePose:
        """The noise-free pose of the vehicle and its gimbal at the current sim time."""
        with self.lock:
            ap, s, g = self.autopilot, self.autopilot.body.state, self.autopilot.gimbal
            lat, lon, alt = ap.enu_to_global(s.e, s.n, s.u)
            return TruePose(self.clock.now, lat, lon, alt, s.roll, s.pitch, s.yaw, s.vn, s.ve, -s.vu,
                            math.radians(g.roll_deg), math.radians(g.pitch_deg), 0.0, s.yaw, g.quaternion(),
                            ap.armed, mode_name(self.flavour, ap.mode), self.clock.unix_time())

    def add_pose_listener(self, callback: Callable[[TruePose], None]) -> None:
        """Call `callback(TruePose)` after every physics step (in the runner's thread)."""
        with self.lock:
            self._pose_listeners.append(callback)

    def remove_pose_listener(self, callback: Callable[[TruePose], None]) -> None:
        """Stop calling a pose listener."""
        with self.lock:
            self._pose_listeners.remove(callback)

    @property
    def mode(self) -> Mode:
        """Current flight mode."""
        return self.autopilot.mode

    @property
    def armed(self) -> bool:
        """Motors armed."""
        return self.autopilot.armed
