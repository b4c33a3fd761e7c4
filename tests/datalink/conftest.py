"""Fixtures for datalink tests: free loopback ports, a recording ground station, polling helper."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from datalink.config import LinkConfig
from datalink.ground import GroundCallbacks, GroundLink
from datalink_helpers import free_port


@dataclass
class Recorder:
    """Everything a ground link delivered through its callbacks, with receive times."""

    tracks: list = field(default_factory=list)
    infractions: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    thumbs: list = field(default_factory=list)
    summaries: list = field(default_factory=list)
    heartbeats: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def callbacks(self) -> GroundCallbacks:
        def rec(lst: list) -> Callable:
            def f(fleet: str, vehicle: str, item: object) -> None:
                with self.lock:
                    lst.append((time.time(), fleet, vehicle, item))
            return f
        return GroundCallbacks(rec(self.tracks), rec(self.infractions), rec(self.evidence), rec(self.thumbs),
                               rec(self.summaries), rec(self.heartbeats))


@dataclass
class GroundFixture:
    """A running ground link listening on ``endpoint`` with its recorder and inbox path."""

    link: GroundLink
    rec: Recorder
    endpoint: str
    port: int
    inbox: Path


@pytest.fixture
def start_ground(tmp_path: Path) -> Iterator[Callable[..., GroundFixture]]:
    """Factory: start a ground link (same port / inbox to simulate a restart); all stopped at teardown."""
    started: list[GroundLink] = []

    def start(port: int | None = None, inbox: Path | None = None, rec: Recorder | None = None,
              config: LinkConfig | None = None, fleet: str = "*") -> GroundFixture:
        port = port or free_port()
        inbox = inbox or tmp_path / "ground.db"
        rec = rec or Recorder()
        cfg = config or LinkConfig(listen=(f"tcp/127.0.0.1:{port}",))
        link = GroundLink(cfg, inbox, fleet=fleet, callbacks=rec.callbacks()).start()
        started.append(link)
        return GroundFixture(link, rec, f"tcp/127.0.0.1:{port}", port, inbox)

    yield start
    for link in started:
        link.stop()
