"""The ground side of a scenario: a ``datalink.GroundLink`` storing into a ground inbox (SQLite), with
counters of what arrived when, and one ``LinkProxy`` per drone so the radio link can be cut."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class GroundSide:
    """Ground link + inbox; ``arrivals`` maps infraction id -> wall time it was stored on the ground."""

    inbox_path: Path
    fleet: str = "sitl"
    port: int = 0
    link: object = None
    proxies: dict = field(default_factory=dict)
    arrivals: dict = field(default_factory=dict)
    evidence_arrivals: dict = field(default_factory=dict)
    track_batches: int = 0
    track_updates: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "GroundSide":
        """Listen on a free loopback port."""
        from datalink.config import LinkConfig
        from datalink.ground import GroundCallbacks, GroundLink

        self.port = self.port or free_port()
        cb = GroundCallbacks(on_tracks=self._on_tracks, on_infraction=self._on_infraction, on_evidence=self._on_evidence)
        self.link = GroundLink(LinkConfig(listen=(f"tcp/127.0.0.1:{self.port}",)), inbox=str(self.inbox_path),
                               fleet=self.fleet, callbacks=cb).start()
        return self

    def proxy_for(self, vehicle_id: str):
        """The cuttable relay a drone connects through (one per drone)."""
        from datalink.linkproxy import LinkProxy

        proxy = LinkProxy("127.0.0.1", self.port)
        self.proxies[vehicle_id] = proxy
        return proxy

    def _on_tracks(self, _fleet, _vehicle, item) -> None:
        with self._lock:
            self.track_batches += 1
            self.track_updates += len(getattr(item, "tracks", [item]))

    def _on_infraction(self, _fleet, _vehicle, event) -> None:
        with self._lock:
            self.arrivals[event.infraction_id] = time.time()

    def _on_evidence(self, _fleet, _vehicle, record) -> None:
        with self._lock:
            self.evidence_arrivals[record.evidence_id] = time.time()

    def delivered(self) -> tuple[set[str], set[str]]:
        """(infraction ids, complete evidence ids) stored in the ground inbox."""
        inbox = self.link.inbox
        return ({e.infraction_id for e in inbox.infractions()},
                {r.evidence_id for r in inbox.evidence_list() if r.complete})

    def stop(self) -> None:
        """Close the relays and the ground link."""
        for proxy in self.proxies.values():
            proxy.close()
        self.proxies.clear()
        if self.link is not None:
            self.link.stop()
            self.link = None
