"""Blocking vehicle operations over ``flight``'s link, state tracker and acked commands.

Every method may block (waits for COMMAND_ACK, mission handshakes), so only worker threads call
them (see ``fly.actions.ActionRunner``); ``view()`` is a non-blocking snapshot read for the UI.
Each action returns a short human sentence describing the acknowledgement; failures raise.
"""
from __future__ import annotations

import collections
import math
import threading
import time

from flight.backend import PymavlinkBackend
from flight.mission_protocol import MissionClient

from groundstation.model.vehicle import VehicleView, from_flight_state


def _ack_text(name: str, ack) -> str:
    """'ARM accepted (1 attempt)' from a ``flight.commands.Ack``."""
    attempts = getattr(ack, "attempts", 1)
    return f"{name} accepted ({attempts} attempt{'s' if attempts != 1 else ''})"


class FlightBackend:
    """One vehicle on one MAVLink connection, driven through ``flight`` (link, state, commands, mission client)."""

    def __init__(self, connection: str, vehicle_id: str = "vehicle", wait_s: float = 20.0) -> None:
        self.connection = connection
        self.vehicle_id = vehicle_id
        self.wait_s = wait_s
        self.link = None
        self.tracker = None
        self.commands = None
        self.takeoff_alt_m = 30.0
        self.cruise_alt_m = 40.0
        self.last_plan = None  # the MissionPlan uploaded in this session
        self.controller = None  # flight.controller.MissionController while a managed patrol runs
        self._ctl_thread: threading.Thread | None = None
        self._events: collections.deque = collections.deque(maxlen=500)
        self._ctl_cond = threading.Condition()

    # ------------------------------------------------------------------ connection
    def open(self) -> str:
        """Connect, wait for the autopilot's heartbeat, request telemetry streams."""
        from flight.commands import VehicleCommands
        from flight.link import open_link
        from flight.state import StateTracker
        from flight.streams import request_streams

        self.link = open_link(self.connection, wait_s=self.wait_s)
        self.tracker = StateTracker(self.link)
        self.commands = VehicleCommands(self.link)
        report = request_streams(self.commands)
        flavour = self.commands.flavour.value if hasattr(self.commands.flavour, "value") else self.commands.flavour
        how = "REQUEST_DATA_STREAM fallback" if report.used_data_stream_fallback else f"{len(report.accepted)} streams"
        return f"connected to {self.connection}: system {self.link.target_system}, {flavour}, {how}"

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.detach()
        if self.link is not None:
            self.link.close()
        self.link = self.tracker = self.commands = None

    @property
    def is_open(self) -> bool:
        return self.link is not None and not self.link.closed

    def view(self) -> VehicleView:
        """The latest state as a ``VehicleView`` (non-blocking)."""
        if self.tracker is None or self.link is None:
            return VehicleView(vehicle_id=self.vehicle_id)
        return from_flight_state(self.tracker.snapshot(), self.link.quality(), self.vehicle_id)

    def statustexts(self) -> tuple:
        """STATUSTEXT lines received so far (``flight.state.StatusText``)."""
        return () if self.tracker is None else self.tracker.snapshot().statustext

    def _need(self):
        if self.commands is None:
            raise RuntimeError("not connected to a vehicle")
        return self.commands

    # ------------------------------------------------------------------ actions
    def arm(self) -> str:
        cmds = self._need()
        return _ack_text("ARM", cmds.arm())

    def disarm(self) -> str:
        cmds = self._need()
        return _ack_text("DISARM", cmds.disarm())

    def takeoff(self, alt_rel_m: float | None = None) -> str:
        """Guided takeoff: mode for takeoff, arm if needed, NAV_TAKEOFF to ``alt_rel_m`` above home."""
        from flight.modes import Intent

        cmds = self._need()
        alt = float(alt_rel_m or self.takeoff_alt_m)
        cmds.set_intent(Intent.TAKEOFF)
        state = self.tracker.snapshot()
        if not state.armed:
            cmds.arm()
        home = state.home.alt_amsl_m if state.home.valid else None
        ack = cmds.takeoff(alt, home_amsl_m=home)
        return _ack_text(f"TAKEOFF to {alt:.0f} m", ack)

    def start_patrol(self) -> str:
        """Fly the patrol. With a plan uploaded in this session, ``flight.controller.MissionController`` runs it
        (preflight, upload, arm, takeoff, AUTO, supervision, retask/resume, RTL) on its own thread; without one,
        the mission already on the vehicle is started directly (takeoff first when on the ground)."""
        self._need()
        if self.last_plan is not None:
            return self._start_controller(self.last_plan)
        from flight.modes import Intent

        cmds = self.commands
        state = self.tracker.snapshot()
        if not state.in_air:
            self.takeoff(self.takeoff_alt_m)
            self.tracker.wait_for(lambda s: s.position.alt_rel_m > 0.8 * self.takeoff_alt_m, 60.0)
        cmds.set_current(1)
        mode = cmds.set_intent(Intent.MISSION)
        return f"patrol started: mode {mode}, item 1 (mission already on the vehicle)"

    def _start_controller(self, plan) -> str:
        from flight.controller import AIRBORNE, ControllerConfig, MissionController, Phase

        if self.controller_running:
            return f"patrol already running (phase {self.controller.phase.value})"
        ctl = MissionController(SharedLinkBackend(self), plan, ControllerConfig(takeoff_alt_m=self.takeoff_alt_m))
        ctl.add_listener(self._on_controller_event)
        self.controller = ctl
        self._ctl_thread = threading.Thread(target=ctl.run, name="mission-controller", daemon=True)
        self._ctl_thread.start()
        ev = self._wait_phase(ctl, set(AIRBORNE) | {Phase.FAILED, Phase.DISARMED}, 120.0)
        if ev is None:
            return f"patrol controller started (phase {ctl.phase.value})"
        if ev.phase in (Phase.FAILED, Phase.DISARMED):
            raise RuntimeError(f"patrol not started: {ev.message}")
        return f"patrol started by the mission controller: {ev.message}"

    @property
    def controller_running(self) -> bool:
        return self._ctl_thread is not None and self._ctl_thread.is_alive()

    def _on_controller_event(self, ev) -> None:
        with self._ctl_cond:
            self._events.append(ev)
            self._ctl_cond.notify_all()

    def drain_events(self) -> list:
        """Controller events (``flight.controller.ControllerEvent``) not yet shown."""
        with self._ctl_cond:
            out = list(self._events)
            self._events.clear()
        return out

    def _wait_phase(self, ctl, phases: set, timeout_s: float):
        """Block until the controller enters one of ``phases``; that transition event, or None on timeout."""
        deadline = time.monotonic() + timeout_s
        seen = len(ctl.events)
        while time.monotonic() < deadline:
            events = ctl.events
            for ev in events[seen:]:
                if ev.kind == "transition" and ev.phase in phases:
                    return ev
            seen = len(events)
            if not self.controller_running:
                return events[-1] if events else None
            with self._ctl_cond:
                self._ctl_cond.wait(0.2)
        return None

    def _controller_request(self, name: str, phases: set, *args) -> str | None:
        """Route an action to the running controller and report the transition it causes (None: no controller)."""
        if not self.controller_running:
            return None
        ctl = self.controller
        queued = getattr(ctl, name)(*args)
        ev = self._wait_phase(ctl, phases, 20.0)
        return ev.message if ev is not None else f"{queued} (controller in phase {ctl.phase.value})"

    def pause(self) -> str:
        from flight.controller import Phase

        done = self._controller_request("pause", {Phase.PAUSED})
        if done is not None:
            return done
        mode = self._need().hold()
        return f"paused: holding position ({mode})"

    def resume(self) -> str:
        from flight.controller import Phase
        from flight.modes import Intent

        done = self._controller_request("resume", {Phase.RESUMING, Phase.PATROL})
        if done is not None:
            return done

        mode = self._need().set_intent(Intent.MISSION)
        seq = self.tracker.snapshot().mission.current_seq
        return f"resumed: mode {mode}, at item {seq}"

    def goto(self, lat: float, lon: float, alt_rel_m: float | None = None) -> str:
        """Fly to a point and hold there (GUIDED + DO_REPOSITION), altitude above home."""
        from flight.modes import Intent

        cmds = self._need()
        state = self.tracker.snapshot()
        rel = alt_rel_m if alt_rel_m is not None else (state.position.alt_rel_m if state.position.valid else self.cruise_alt_m)
        if not rel or math.isnan(rel) or rel < 5:
            rel = self.cruise_alt_m
        home_amsl = state.home.alt_amsl_m if state.home.valid else state.position.alt_amsl_m - state.position.alt_rel_m
        cmds.set_intent(Intent.GUIDED)
        ack = cmds.reposition(lat, lon, home_amsl + rel)
        return _ack_text(f"GOTO {lat:.6f}, {lon:.6f} at {rel:.0f} m", ack)

    def retask_orbit(self, lat: float, lon: float, radius_m: float = 40.0) -> str:
        """Retask to an incident: the controller's orbit when ``flight.controller`` offers one, else goto + ROI."""
        from flight.controller import Phase

        done = self._controller_request("retask", {Phase.RETASK}, lat, lon, radius_m)
        if done is not None:
            return "retasked: " + done
        text = self.goto(lat, lon)
        state = self.tracker.snapshot()
        ground = state.home.alt_amsl_m if state.home.valid else 0.0
        try:
            self.commands.set_roi(lat, lon, ground)
            text += "; camera ROI set"
        except Exception as exc:  # ROI is a nicety; the goto already succeeded
            text += f"; ROI refused ({exc})"
        return "retasked: " + text

    def rtl(self) -> str:
        from flight.controller import Phase

        done = self._controller_request("return_home", {Phase.RETURNING})
        if done is not None:
            return done
        mode = self._need().rtl()
        return f"returning to launch ({mode})"

    def land(self) -> str:
        mode = self._need().land()
        return f"landing here ({mode})"

    # ------------------------------------------------------------------ missions
    def _mission_client(self):
        return MissionClient(self.link)

    def upload(self, plan) -> str:
        """Upload a ``flight.mission.MissionPlan`` (fence, rally, then mission) to the vehicle."""
        self._need()
        results = self._mission_client().upload_plan(plan)
        self.last_plan = plan
        mission = results.get("mission")
        secs = f" in {mission.seconds:.1f} s" if mission is not None else ""
        return (f"uploaded {len(plan.items)} mission items, {len(plan.fence_items)} fence items, "
                f"{len(plan.rally_items)} rally points{secs}")

    def download(self):
        """Download the vehicle's mission, fence and rally points as a ``flight.mission.MissionPlan``."""
        from flight.mission import MissionPlan, MissionType

        self._need()
        client = self._mission_client()
        return MissionPlan(items=client.download(MissionType.MISSION), fence_items=client.download(MissionType.FENCE),
                           rally_items=client.download(MissionType.RALLY))


class SharedLinkBackend(PymavlinkBackend):
    """``flight.backend.PymavlinkBackend`` over the ground station's own link (ArduPilot's SITL port takes one
    TCP client only), so the mission controller and the UI share one link, one state tracker, one commander."""

    def __init__(self, owner: FlightBackend) -> None:  # no new link: reuse the owner's
        self.config = owner.link.config
        self.link = owner.link
        self.tracker = owner.tracker
        self.commands = owner.commands
        self.missions = MissionClient(owner.link)

    def connect(self, timeout_s: float = 30.0) -> None:
        """Already connected: only wait for a position."""
        self.tracker.wait_for(lambda s: s.position.valid, timeout_s)

    def close(self) -> None:
        """The ground station owns the link; nothing to release."""
