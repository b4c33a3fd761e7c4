"""Connection strings as MAVLink tools write them, parsed and checked before pymavlink sees them.

Accepted: ``udpin:HOST:PORT``, ``udpout:HOST:PORT`` (``udp:`` = udpin), ``tcp:HOST:PORT``,
``tcpin:HOST:PORT`` and serial ``/dev/ttyUSB0,57600`` (or ``serial:/dev/ttyUSB0:57600``, or ``COM3,57600``).
"""
from __future__ import annotations

from dataclasses import dataclass

_NET_KINDS = ("udpin", "udpout", "tcp", "tcpin")
DEFAULT_BAUD = 57600


class ConnectionStringError(ValueError):
    """A connection string that names no transport pymavlink can open."""


@dataclass(frozen=True)
class ConnectionSpec:
    """A parsed connection: transport kind, network address or serial device and baud rate."""

    kind: str  # udpin | udpout | tcp | tcpin | serial
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = DEFAULT_BAUD

    @property
    def pymavlink_device(self) -> str:
        """The device string `mavutil.mavlink_connection` expects."""
        if self.kind == "serial":
            return self.device
        return f"{self.kind}:{self.host}:{self.port}"

    @property
    def is_stream(self) -> bool:
        """True for transports that can break and must be reopened (TCP client, serial)."""
        return self.kind in ("tcp", "serial")

    def __str__(self) -> str:
        return f"{self.device},{self.baud}" if self.kind == "serial" else self.pymavlink_device


def _host_port(text: str, original: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ConnectionStringError(f"connection {original!r}: expected HOST:PORT after the transport")
    try:
        port_no = int(port)
    except ValueError:
        raise ConnectionStringError(f"connection {original!r}: port {port!r} is not a number") from None
    if not 0 <= port_no <= 65535:
        raise ConnectionStringError(f"connection {original!r}: port {port_no} out of range 0..65535")
    return host, port_no


def parse_connection(text: str) -> ConnectionSpec:
    """Parse a MAVProxy/QGC/MAVSDK-style connection string; raise ConnectionStringError naming the problem."""
    s = text.strip()
    if not s:
        raise ConnectionStringError("connection string is empty")
    if "://" in s:  # MAVSDK style udpin://0.0.0.0:14540, tcp://host:5760 (tcpout:// too)
        scheme, _, rest = s.partition("://")
        scheme = {"udp": "udpin", "tcpout": "tcp", "serial": "serial"}.get(scheme, scheme)
        s = f"{scheme}:{rest}"
    kind, sep, rest = s.partition(":")
    if sep and kind in _NET_KINDS + ("udp",):
        host, port = _host_port(rest, text)
        return ConnectionSpec(kind="udpin" if kind == "udp" else kind, host=host, port=port)
    if sep and kind == "serial":
        dev, _, baud = rest.rpartition(":") if rest.count(":") else (rest, "", str(DEFAULT_BAUD))
        return _serial(dev or rest, baud, text)
    if s.startswith("/dev/") or s.upper().startswith("COM"):
        dev, _, baud = s.partition(",")
        return _serial(dev, baud or str(DEFAULT_BAUD), text)
    raise ConnectionStringError(
        f"connection {text!r}: unknown transport; use udpin:HOST:PORT, udpout:HOST:PORT, tcp:HOST:PORT "
        "or a serial device like /dev/ttyUSB0,57600")


def _serial(device: str, baud: str, original: str) -> ConnectionSpec:
    try:
        rate = int(baud)
    except ValueError:
        raise ConnectionStringError(f"connection {original!r}: baud rate {baud!r} is not a number") from None
    if rate <= 0:
        raise ConnectionStringError(f"connection {original!r}: baud rate must be positive")
    return ConnectionSpec(kind="serial", device=device, baud=rate)
