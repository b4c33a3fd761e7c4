"""Wiring for the companion computer: a read-only MAVLink link for pose, a camera, the pipeline, the logs.

``run_onboard(...)`` is what ``aeropatrol onboard`` calls (the system wiring adds infractions and the
data link through ``on_update``).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack

from datalink.messages import TrackUpdate
from geo.pose import FixedMount
from vision.outputs import StatusLine, TrackLog
from vision.pipeline import OnboardConfig, OnboardPipeline, PipelineStats
from vision.pose import PoseReader
from vision.sources import open_source

log = logging.getLogger(__name__)


def open_companion_link(connection: str):
    """A ``flight.link.MavLink`` in companion role: component 191, no GCS heartbeat, never commands."""
    from flight.link import LinkConfig, LinkRole, MavLink  # noqa: PLC0415

    return MavLink(LinkConfig(connection, role=LinkRole.COMPANION)).open()


class TimesyncRequester:
    """Asks the autopilot for TIMESYNC round trips every ``period_s`` (a companion may; it commands nothing)."""

    def __init__(self, link, clock, period_s: float = 1.0) -> None:
        self.link, self.clock, self.period_s = link, clock, period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="timesync", daemon=True)

    def _send(self, tc1: int, ts1: int) -> None:
        from pymavlink.dialects.v20 import ardupilotmega as mavlink  # noqa: PLC0415

        self.link.send(mavlink.MAVLink_timesync_message(tc1, ts1))

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.clock.request(self._send)
            except Exception as exc:  # noqa: BLE001 (a link hiccup must not stop the pipeline)
                log.debug("timesync request failed: %s", exc)

    def start(self) -> "TimesyncRequester":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)


def run_onboard(config: OnboardConfig, connect: str, camera: str, *, track_log: str | None = None,
                on_update: Callable[[list[TrackUpdate]], None] | None = None, status: bool = True,
                mount: FixedMount | None = None, max_frames: int | None = None, realtime: bool = True,
                detector=None, timesync_period_s: float | None = 1.0) -> PipelineStats:
    """Run until the camera ends (or ``max_frames``): pose from ``connect`` (a MAVLink connection string),
    frames from ``camera`` (``sim``/``tcp://`` sims camera, rtsp/udp URL, device index or file); ``detector``:
    an already loaded detector instead of ``config.detector``; ``timesync_period_s``: TIMESYNC round trips
    to measure the clock offset (None: listen only)."""
    with ExitStack() as stack:
        link = open_companion_link(connect)
        stack.callback(link.close)
        pose = PoseReader(mount=mount).attach(link)
        if timesync_period_s:
            stack.callback(TimesyncRequester(link, pose.clock, timesync_period_s).start().stop)
        pipeline = OnboardPipeline(config, detector=detector, pose=pose)
        frames = open_source(camera, realtime=realtime)
        if hasattr(frames, "close"):
            stack.callback(frames.close)
        tlog = stack.enter_context(TrackLog(track_log)) if track_log else None
        stats = pipeline.run(frames, on_update=on_update, track_log=tlog, status=StatusLine() if status else None,
                             max_frames=max_frames)
        log.info("onboard: %d frames, %d track updates, %d without pose, %d dropped", stats.frames, stats.updates,
                 stats.no_pose, stats.dropped)
        return stats
