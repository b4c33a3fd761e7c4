"""Zenoh session configuration for the data link: explicit endpoints, optional TLS / mutual TLS.

The embedded default is peer-to-peer with no server. Multicast scouting is off unless asked for,
so tests and deployments depend only on the endpoints written here; a fleet adds Zenoh routers
(``mode="client"`` + ``connect=[router]``; see docs/datalink.md).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class LinkConfigError(ValueError):
    """A link configuration that cannot work (names the field)."""


@dataclass(frozen=True)
class TlsConfig:
    """TLS material (PEM files). ``mutual=True`` makes a listener refuse peers without a CA-signed cert."""

    root_ca: str
    cert: str | None = None
    key: str | None = None
    mutual: bool = True
    verify_name: bool = True

    def to_zenoh(self) -> dict[str, Any]:
        """The ``transport/link/tls`` section of a Zenoh config."""
        for name in ("root_ca", "cert", "key"):
            value = getattr(self, name)
            if value is not None and not Path(value).is_file():
                raise LinkConfigError(f"tls.{name}: file {value!r} not found")
        if self.mutual and (self.cert is None or self.key is None):
            raise LinkConfigError("tls: mutual TLS needs both tls.cert and tls.key")
        out: dict[str, Any] = {"root_ca_certificate": self.root_ca, "enable_mtls": self.mutual,
                               "verify_name_on_connect": self.verify_name}
        if self.cert and self.key:
            out.update(listen_certificate=self.cert, listen_private_key=self.key,
                       connect_certificate=self.cert, connect_private_key=self.key)
        return out


@dataclass(frozen=True)
class LinkConfig:
    """Where a node listens and connects, in Zenoh endpoint syntax (``tcp/127.0.0.1:7447``, ``tls/host:7447``)."""

    listen: tuple[str, ...] = ()
    connect: tuple[str, ...] = ()
    mode: str = "peer"
    multicast_scouting: bool = False
    #: gossip scouting learns other peers' locators over existing links; off by default so a node
    #: talks only to the endpoints written here (a test relay cannot be bypassed)
    gossip_scouting: bool = False
    tls: TlsConfig | None = None
    #: reconnect period cap after a link cut (ms); small so a restored radio link is used at once
    retry_max_ms: int = 1000
    #: Zenoh lease (ms): a silent link (no TCP reset) is declared dead after this long
    lease_ms: int = 10_000
    #: the largest Zenoh message a node accepts (defence against oversized input)
    max_message_bytes: int = 4 * 1024 * 1024
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in ("peer", "client", "router"):
            raise LinkConfigError(f"mode {self.mode!r}: expected peer, client or router")
        for ep in (*self.listen, *self.connect):
            if "/" not in ep:
                raise LinkConfigError(f"endpoint {ep!r}: expected PROTO/ADDRESS, e.g. tcp/127.0.0.1:7447")
            if self.tls is None and ep.startswith("tls/"):
                raise LinkConfigError(f"endpoint {ep!r} needs a tls configuration")
        if self.mode == "client" and not self.connect:
            raise LinkConfigError("mode client needs at least one connect endpoint (a router)")

    def to_json(self) -> dict[str, Any]:
        """The Zenoh configuration as a JSON-able dict (what ``zenoh.Config.from_json5`` reads)."""
        cfg: dict[str, Any] = {
            "mode": self.mode,
            "listen": {"endpoints": list(self.listen)},
            "connect": {
                "endpoints": list(self.connect),
                "retry": {"period_init_ms": 100, "period_max_ms": self.retry_max_ms, "period_increase_factor": 2.0},
            },
            "scouting": {"multicast": {"enabled": self.multicast_scouting}, "gossip": {"enabled": self.gossip_scouting}},
            "transport": {"link": {"tx": {"lease": self.lease_ms}, "rx": {"max_message_size": self.max_message_bytes}}},
        }
        if self.tls is not None:
            cfg["transport"]["link"]["tls"] = self.tls.to_zenoh()
        for path, value in self.extra.items():
            node = cfg
            *parents, leaf = path.split("/")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = value
        return cfg

    def to_zenoh(self) -> Any:
        """A ``zenoh.Config`` (imports zenoh)."""
        import zenoh

        return zenoh.Config.from_json5(json.dumps(self.to_json()))


def open_session(config: LinkConfig) -> Any:
    """Open a Zenoh session for ``config`` (``LinkConfigError`` with Zenoh's reason if it fails)."""
    import zenoh

    try:
        return zenoh.open(config.to_zenoh())
    except zenoh.ZError as exc:
        raise LinkConfigError(f"cannot open Zenoh session ({config.listen=} {config.connect=}): {exc}") from exc
