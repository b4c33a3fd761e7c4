"""A MAVLink link to one vehicle: reader thread, GCS heartbeat, link quality, reconnect, listeners.

`MavLink` owns the pymavlink connection. Every decoded message goes to the listeners
(`add_listener`) from the reader thread; `subscribe()` gives a queue for request/response
protocols (commands, missions). In companion mode (onboard, read-only) it sends no GCS heartbeat.
"""
from __future__ import annotations

import collections
import enum
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from flight.connection import ConnectionSpec, parse_connection
from flight.mav import MAV_COMP_ID_MISSIONPLANNER, MAV_COMP_ID_ONBOARD_COMPUTER, mavlink2, mavutil

log = logging.getLogger(__name__)

Listener = Callable[[object], None]
LinkListener = Callable[["LinkQuality"], None]


class LinkRole(enum.Enum):
    """GCS (commands, sends the 1 Hz GCS heartbeat) or COMPANION (onboard, read-only)."""

    GCS = "gcs"
    COMPANION = "companion"


class LinkClosed(RuntimeError):
    """The link was closed while a caller waited on it."""


class NoVehicle(TimeoutError):
    """No autopilot heartbeat arrived within the timeout."""


@dataclass(frozen=True)
class LinkConfig:
    """How to open a link: connection string, our identity and the timing of heartbeats/reconnects."""

    connection: str
    role: LinkRole = LinkRole.GCS
    source_system: int | None = None  # default: 255 for a GCS, the vehicle's id (1) for a companion
    source_component: int | None = None  # default: 190 for a GCS, 191 for a companion
    target_system: int | None = None  # None: the first autopilot that sends a heartbeat
    heartbeat_hz: float = 1.0
    companion_heartbeat: bool = False  # companion: send HEARTBEAT as MAV_TYPE_ONBOARD_CONTROLLER
    heartbeat_timeout_s: float = 3.0  # link counted lost after this long without a vehicle heartbeat
    reconnect: bool = True  # reopen TCP/serial transports after a cut
    reconnect_interval_s: float = 1.0
    loss_window: int = 500  # packets over which `loss_pct` is computed

    @property
    def spec(self) -> ConnectionSpec:
        """The parsed connection string."""
        return parse_connection(self.connection)

    @property
    def sysid(self) -> int:
        """Our MAVLink system id."""
        if self.source_system is not None:
            return self.source_system
        return 255 if self.role is LinkRole.GCS else (self.target_system or 1)

    @property
    def compid(self) -> int:
        """Our MAVLink component id."""
        if self.source_component is not None:
            return self.source_component
        return MAV_COMP_ID_MISSIONPLANNER if self.role is LinkRole.GCS else MAV_COMP_ID_ONBOARD_COMPUTER


@dataclass(frozen=True)
class LinkQuality:
    """Link-quality figures: vehicle heartbeat age, packets received/lost (from MAVLink sequence numbers)."""

    connected: bool
    last_heartbeat_age_s: float | None
    received: int
    lost: int
    loss_pct: float  # over the last `loss_window` packets
    total_loss_pct: float
    reconnects: int
    link_losses: int


class _SeqCounter:
    """Counts received and lost packets per source from MAVLink's 8-bit sequence numbers."""

    def __init__(self, window: int) -> None:
        self._last: dict[tuple[int, int], int] = {}
        self.received = 0
        self.lost = 0
        self._window: collections.deque[tuple[int, int]] = collections.deque()
        self._win_rx = 0
        self._win_lost = 0
        self._size = window

    def add(self, src: tuple[int, int], seq: int) -> None:
        last = self._last.get(src)
        gap = 0
        if last is not None:
            gap = (seq - last - 1) % 256
            if gap > 128:  # a restart or a reordered packet, not 128+ lost packets
                gap = 0
        self._last[src] = seq
        self.received += 1
        self.lost += gap
        self._window.append((1, gap))
        self._win_rx += 1
        self._win_lost += gap
        while len(self._window) > self._size:
            rx, lost = self._window.popleft()
            self._win_rx -= rx
            self._win_lost -= lost

    def reset_sources(self) -> None:
        self._last.clear()

    def window_pct(self) -> float:
        tot = self._win_rx + self._win_lost
        return 100.0 * self._win_lost / tot if tot else 0.0

    def total_pct(self) -> float:
        tot = self.received + self.lost
        return 100.0 * self.lost / tot if tot else 0.0


class Subscription:
    """A queue of the messages of some types from the vehicle; use as a context manager."""

    def __init__(self, link: "MavLink", types: Iterable[str] | None, from_target: bool) -> None:
        self._link = link
        self.types = frozenset(types) if types is not None else None
        self.from_target = from_target
        self._queue: queue.Queue = queue.Queue()

    def _offer(self, msg) -> None:
        if self.types is not None and msg.get_type() not in self.types:
            return
        if self.from_target and self._link.target_system is not None and msg.get_srcSystem() != self._link.target_system:
            return
        self._queue.put(msg)

    def get(self, timeout: float):
        """The next message, or None after `timeout` seconds."""
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop receiving."""
        self._link._remove_subscription(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class MavLink:
    """One MAVLink connection to one vehicle (thread-based; safe to send from any thread)."""

    def __init__(self, config: LinkConfig | str) -> None:
        self.config = LinkConfig(config) if isinstance(config, str) else config
        self.spec = self.config.spec
        self._conn = None
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._link_listeners: list[LinkListener] = []
        self._subs: list[Subscription] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._seq = _SeqCounter(self.config.loss_window)
        self._last_hb: float | None = None
        self._last_rx: float | None = None
        self._vehicle_seen = threading.Event()
        self._connected = False
        self._reconnects = 0
        self._link_losses = 0
        self._dead = False
        self.target_system: int | None = self.config.target_system
        self.target_component: int = 1
        self.autopilot: int | None = None  # MAV_AUTOPILOT of the vehicle
        self.vehicle_type: int | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def open(self) -> "MavLink":
        """Open the transport and start the reader and heartbeat threads."""
        self._conn = self._make_connection()
        for name, target in (("mav-reader", self._reader), ("mav-heartbeat", self._heartbeat_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def close(self) -> None:
        """Stop the threads and close the transport."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2.0)
        self._threads.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def __enter__(self) -> "MavLink":
        return self.open() if self._conn is None else self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._stop.is_set()

    def _make_connection(self):
        spec = self.spec
        kwargs = dict(source_system=self.config.sysid, source_component=self.config.compid,
                      dialect="ardupilotmega", autoreconnect=False)
        if spec.kind == "serial":
            conn = mavutil.mavlink_connection(spec.device, baud=spec.baud, **kwargs)
        elif spec.kind == "tcp":
            conn = mavutil.mavlink_connection(spec.pymavlink_device, retries=0, **kwargs)
        else:
            conn = mavutil.mavlink_connection(spec.pymavlink_device, **kwargs)
        if spec.kind == "tcp":  # pymavlink prints and keeps a dead socket on EOF: mark it for reopen instead
            conn.handle_eof = self._mark_dead
            conn.handle_disconnect = self._mark_dead
        self._dead = False
        return conn

    def _mark_dead(self) -> None:
        self._dead = True

    # -- listeners --------------------------------------------------------------------------------
    def add_listener(self, callback: Listener) -> Listener:
        """Call `callback(msg)` from the reader thread for every decoded message (all sources)."""
        with self._lock:
            self._listeners.append(callback)
        return callback

    def remove_listener(self, callback: Listener) -> None:
        """Stop calling `callback`."""
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def add_link_listener(self, callback: LinkListener) -> LinkListener:
        """Call `callback(quality)` whenever the link goes up or down."""
        with self._lock:
            self._link_listeners.append(callback)
        return callback

    def subscribe(self, types: Iterable[str] | None = None, from_target: bool = True) -> Subscription:
        """A queue of messages of `types` (all when None) from the target vehicle; subscribe before sending."""
        sub = Subscription(self, types, from_target)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove_subscription(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    # -- sending ----------------------------------------------------------------------------------
    def send(self, msg) -> None:
        """Send a pymavlink message object (e.g. `mavlink2.MAVLink_command_long_message(...)`)."""
        conn = self._conn
        if conn is None:
            raise LinkClosed("link is not open")
        with self._send_lock:
            try:
                conn.mav.send(msg)
            except OSError as exc:  # a broken transport: the reader reopens it
                log.debug("send failed: %s", exc)
                self._dead = True

    # -- state ------------------------------------------------------------------------------------
    def wait_vehicle(self, timeout: float = 30.0) -> None:
        """Block until an autopilot heartbeat has been seen; raise NoVehicle otherwise."""
        if not self._vehicle_seen.wait(timeout):
            raise NoVehicle(f"no autopilot heartbeat on {self.spec} within {timeout:.0f} s")

    @property
    def connected(self) -> bool:
        """True while vehicle heartbeats arrive within the heartbeat timeout."""
        return self._connected

    def quality(self) -> LinkQuality:
        """Current link-quality figures."""
        now = time.monotonic()
        with self._lock:
            age = None if self._last_hb is None else now - self._last_hb
            return LinkQuality(connected=self._connected, last_heartbeat_age_s=age,
                               received=self._seq.received, lost=self._seq.lost,
                               loss_pct=self._seq.window_pct(), total_loss_pct=self._seq.total_pct(),
                               reconnects=self._reconnects, link_losses=self._link_losses)

    # -- threads ----------------------------------------------------------------------------------
    def _reader(self) -> None:
        next_reopen = 0.0
        while not self._stop.is_set():
            conn = self._conn
            if conn is None or self._dead:
                if not self.config.reconnect or not self.spec.is_stream:
                    if conn is None:
                        return
                    self._dead = False
                elif time.monotonic() >= next_reopen:
                    next_reopen = time.monotonic() + self.config.reconnect_interval_s
                    self._reopen()
                else:
                    self._stop.wait(0.05)
                continue
            try:
                msg = conn.recv_match(blocking=True, timeout=0.1)
            except (OSError, ValueError) as exc:
                if self._stop.is_set():
                    return
                log.debug("receive failed: %s", exc)
                self._dead = True
                continue
            except Exception as exc:  # noqa: BLE001 - garbage on the wire must never kill the reader
                log.warning("MAVLink decode error ignored: %s", exc)
                continue
            if msg is None:
                self._check_stale_stream()
                continue
            if msg.get_type() == "BAD_DATA":
                continue
            self._dispatch(msg)

    def _check_stale_stream(self) -> None:
        """A TCP/serial link silent past the heartbeat timeout is reopened (peer restarted or cable cut)."""
        if not (self.config.reconnect and self.spec.is_stream):
            return
        last = self._last_rx
        if last is not None and time.monotonic() - last > max(self.config.heartbeat_timeout_s, 2.0):
            self._dead = True

    def _reopen(self) -> None:
        old, self._conn = self._conn, None
        if old is not None:
            try:
                old.close()
            except OSError:
                pass
        try:
            self._conn = self._make_connection()
        except (OSError, ValueError) as exc:
            log.debug("reconnect to %s failed: %s", self.spec, exc)
            return
        with self._lock:
            self._reconnects += 1
            self._seq.reset_sources()
            self._last_rx = time.monotonic()
        log.info("reopened %s", self.spec)

    def _dispatch(self, msg) -> None:
        now = time.monotonic()
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        mtype = msg.get_type()
        if mtype == "HEARTBEAT":
            self._on_heartbeat(msg, src, now)
        from_target = self.target_system is not None and src[0] == self.target_system
        with self._lock:
            if from_target:
                self._last_rx = now
                self._seq.add(src, msg.get_seq())
            listeners = list(self._listeners)
            subs = list(self._subs)
        for sub in subs:
            sub._offer(msg)
        for cb in listeners:
            try:
                cb(msg)
            except Exception:  # noqa: BLE001 - one bad listener must not stop the link
                log.exception("MAVLink listener %r failed", cb)

    def _on_heartbeat(self, msg, src: tuple[int, int], now: float) -> None:
        is_autopilot = (msg.autopilot != mavlink2.MAV_AUTOPILOT_INVALID
                        and msg.type not in (mavlink2.MAV_TYPE_GCS, mavlink2.MAV_TYPE_ONBOARD_CONTROLLER,
                                             mavlink2.MAV_TYPE_GIMBAL, mavlink2.MAV_TYPE_CAMERA))
        if not is_autopilot:
            return
        if self.target_system is None:
            self.target_system = src[0]
        if src[0] != self.target_system:
            return
        self.target_component = src[1]
        self.autopilot = msg.autopilot
        self.vehicle_type = msg.type
        with self._lock:
            self._last_hb = now
        self._vehicle_seen.set()
        if not self._connected:
            self._set_connected(True)

    def _set_connected(self, up: bool) -> None:
        with self._lock:
            self._connected = up
            if not up:
                self._link_losses += 1
            listeners = list(self._link_listeners)
        q = self.quality()
        log.info("link %s (%s)", "up" if up else "LOST", self.spec)
        for cb in listeners:
            try:
                cb(q)
            except Exception:  # noqa: BLE001
                log.exception("link listener %r failed", cb)

    def _heartbeat_loop(self) -> None:
        period = 1.0 / self.config.heartbeat_hz if self.config.heartbeat_hz > 0 else 1.0
        send_hb = self.config.role is LinkRole.GCS or self.config.companion_heartbeat
        mav_type = mavlink2.MAV_TYPE_GCS if self.config.role is LinkRole.GCS else mavlink2.MAV_TYPE_ONBOARD_CONTROLLER
        next_hb = 0.0
        while not self._stop.wait(0.05):
            now = time.monotonic()
            if send_hb and now >= next_hb and self._conn is not None and not self._dead:
                next_hb = now + period
                try:
                    self.send(mavlink2.MAVLink_heartbeat_message(
                        mav_type, mavlink2.MAV_AUTOPILOT_INVALID, 0, 0, mavlink2.MAV_STATE_ACTIVE, 3))
                except LinkClosed:
                    pass
            last = self._last_hb
            if self._connected and last is not None and now - last > self.config.heartbeat_timeout_s:
                self._set_connected(False)


def open_link(connection: str, role: LinkRole = LinkRole.GCS, wait_s: float | None = 30.0, **kwargs) -> MavLink:
    """Open a link and (unless `wait_s` is None) wait for the vehicle's first heartbeat."""
    link = MavLink(LinkConfig(connection=connection, role=role, **kwargs)).open()
    if wait_s is not None:
        try:
            link.wait_vehicle(wait_s)
        except NoVehicle:
            link.close()
            raise
    return link
