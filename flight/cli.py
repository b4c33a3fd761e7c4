"""`aeropatrol fly` and `aeropatrol plan ...`: commands of the flight side."""
from __future__ import annotations

import argparse

from aeropatrol.cli_groups import register_optional


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `fly` (flight.fly_cli) and the `plan` group (flight.plan_cli)."""
    register_optional(("flight.fly_cli", "flight.plan_cli"), subparsers)
