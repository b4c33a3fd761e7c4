"""Link monitor: what flows on a fleet's keys (rates, bytes, onboard backlog, acks), per vehicle.

A passive subscriber to ``aeropatrol/<fleet>/<vehicle>/*`` including the ground's acks; it decodes
heartbeats (backlog) and acks (counts) and only counts everything else.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from datalink import keys
from datalink.config import LinkConfig, open_session
from datalink.messages import Ack, Heartbeat, MessageError, decode


@dataclass
class ChannelFlow:
    """Counters of one vehicle's channel."""

    msgs: int = 0
    bytes: int = 0
    window: deque = field(default_factory=deque)  # (t, nbytes) of the last ``window_s``

    def rate(self, now: float, window_s: float) -> tuple[float, float]:
        """(messages/s, kbit/s) over the window."""
        while self.window and self.window[0][0] < now - window_s:
            self.window.popleft()
        n = len(self.window)
        return n / window_s, sum(b for _, b in self.window) * 8 / 1000 / window_s


class LinkMonitor:
    """Counts what flows; ``snapshot()`` gives a JSON-able dict."""

    def __init__(self, config: LinkConfig, fleet: str = "*", vehicle: str = "*", window_s: float = 5.0) -> None:
        self.config = config
        self.pattern = keys.pattern(fleet, vehicle)
        self.window_s = window_s
        self._lock = threading.Lock()
        self._flows: dict[tuple[str, str], ChannelFlow] = {}
        self._backlog: dict[str, int] = {}
        self._heartbeat_t: dict[str, float] = {}
        self._acks: dict[str, dict[str, int]] = {}
        self._acked: dict[str, tuple[int, int]] = {}
        self._bad: int = 0
        self._session: Any = None
        self._sub: Any = None

    def start(self) -> LinkMonitor:
        """Open the session and subscribe."""
        self._session = open_session(self.config)
        self._sub = self._session.declare_subscriber(self.pattern, self._on_sample)
        return self

    def stop(self) -> None:
        """Close the session."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def _on_sample(self, sample: Any) -> None:
        raw = sample.payload.to_bytes()
        try:
            fleet, vehicle, channel = keys.parse(str(sample.key_expr))
        except keys.KeyExprError:
            return
        vid = f"{fleet}/{vehicle}"
        now = time.monotonic()
        msg = None
        if channel in ("heartbeat", "acks"):
            try:
                msg = decode(raw)
            except MessageError:
                with self._lock:
                    self._bad += 1
        with self._lock:
            flow = self._flows.setdefault((vid, channel), ChannelFlow())
            flow.msgs += 1
            flow.bytes += len(raw)
            flow.window.append((now, len(raw)))
            if isinstance(msg, Heartbeat) and msg.role == "onboard":
                self._backlog[vid] = msg.backlog
                self._acked[vid] = (msg.acked_total, msg.retries_total)
                self._heartbeat_t[vid] = now
            elif isinstance(msg, Ack):
                kinds = self._acks.setdefault(vid, {})
                kinds[msg.kind] = kinds.get(msg.kind, 0) + max(1, len(msg.ids))

    def snapshot(self) -> dict[str, Any]:
        """Per vehicle: channels (msgs, bytes, msgs_per_s, kbps), backlog, acked/retries totals (from the
        onboard heartbeat), heartbeat age, and acks seen on the ack key, by kind."""
        now = time.monotonic()
        out: dict[str, Any] = {"pattern": self.pattern, "window_s": self.window_s, "bad_frames": self._bad,
                               "peers": self.peers(), "vehicles": {}}
        with self._lock:
            for (vid, channel), flow in sorted(self._flows.items()):
                v = out["vehicles"].setdefault(vid, {"channels": {}, "backlog": None, "heartbeat_age_s": None, "acks": {}})
                mps, kbps = flow.rate(now, self.window_s)
                v["channels"][channel] = {"msgs": flow.msgs, "bytes": flow.bytes,
                                          "msgs_per_s": round(mps, 2), "kbps": round(kbps, 2)}
            for vid, v in out["vehicles"].items():
                v["backlog"] = self._backlog.get(vid)
                if vid in self._heartbeat_t:
                    v["heartbeat_age_s"] = round(now - self._heartbeat_t[vid], 2)
                v["acks"] = dict(self._acks.get(vid, {}))
                if vid in self._acked:
                    v["acked_total"], v["retries_total"] = self._acked[vid]
        return out

    def peers(self) -> int:
        """Connected peers/routers."""
        if self._session is None:
            return 0
        info = self._session.info
        return len(list(info.peers_zid())) + len(list(info.routers_zid()))


def format_snapshot(snap: dict[str, Any]) -> str:
    """Human-readable table of a snapshot."""
    lines = [f"{snap['pattern']}  peers={snap['peers']}  bad_frames={snap['bad_frames']}"]
    if not snap["vehicles"]:
        lines.append("  (nothing received yet)")
    for vid, v in snap["vehicles"].items():
        acks = ", ".join(f"{k}={n}" for k, n in sorted(v["acks"].items())) or "-"
        lines.append(f"  {vid}: backlog={v['backlog']} acked={v.get('acked_total')} retries={v.get('retries_total')}"
                     f" heartbeat_age_s={v['heartbeat_age_s']} acks seen: {acks}")
        for ch, c in v["channels"].items():
            lines.append(f"    {ch:<12} {c['msgs_per_s']:8.2f} msg/s {c['kbps']:9.2f} kbit/s  total {c['msgs']} msgs {c['bytes']} B")
    return "\n".join(lines)
