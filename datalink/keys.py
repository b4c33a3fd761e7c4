"""Zenoh key expressions: ``aeropatrol/<fleet>/<vehicle>/<channel>``.

One ground station can watch several drones (``aeropatrol/<fleet>/*/tracks``) and several ground
stations can watch one drone: every publication is keyed by fleet and vehicle.
"""
from __future__ import annotations

import re

ROOT = "aeropatrol"
#: onboard -> ground channels, and ``acks`` (ground -> onboard)
CHANNELS: tuple[str, ...] = ("tracks", "infractions", "evidence", "thumbs", "acks", "summary", "heartbeat")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class KeyExprError(ValueError):
    """A fleet/vehicle name or key expression that does not fit the scheme."""


def check_name(name: str, what: str) -> str:
    """Return ``name`` if it is a valid fleet/vehicle id (letters, digits, ``_.-``), else raise."""
    if not _NAME.match(name):
        raise KeyExprError(f"{what} {name!r}: use 1-64 letters, digits, '_', '.', '-'")
    return name


def key(fleet: str, vehicle: str, channel: str) -> str:
    """Key of one channel of one vehicle, e.g. ``aeropatrol/city/uav1/tracks``."""
    if channel not in CHANNELS:
        raise KeyExprError(f"channel {channel!r}: expected one of {', '.join(CHANNELS)}")
    return f"{ROOT}/{check_name(fleet, 'fleet')}/{check_name(vehicle, 'vehicle')}/{channel}"


def pattern(fleet: str = "*", vehicle: str = "*", channel: str = "*") -> str:
    """Subscription pattern; ``*`` matches any fleet, vehicle or channel."""
    parts = [fleet if fleet == "*" else check_name(fleet, "fleet"),
             vehicle if vehicle == "*" else check_name(vehicle, "vehicle"),
             channel if channel == "*" else key("x", "x", channel).rsplit("/", 1)[1]]
    return "/".join([ROOT, *parts])


def parse(key_expr: str) -> tuple[str, str, str]:
    """Split a concrete key into (fleet, vehicle, channel); raise ``KeyExprError`` if it is not ours."""
    parts = str(key_expr).split("/")
    if len(parts) != 4 or parts[0] != ROOT or parts[3] not in CHANNELS:
        raise KeyExprError(f"key {key_expr!r} is not {ROOT}/<fleet>/<vehicle>/<channel>")
    return parts[1], parts[2], parts[3]
