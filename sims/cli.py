"""`aeropatrol sim ...` (vehicle, world, dataset) and `aeropatrol train`: commands of the simulator."""
from __future__ import annotations

import argparse

from aeropatrol.cli_groups import add_group, register_optional


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `sim` group (sub-commands from sims.vehicle_cli and sims.world_cli) and `train`."""
    sim = add_group(subparsers, "sim", "software-in-the-loop simulation: vehicle, town, camera, dataset, scenarios")
    register_optional(("sims.vehicle_cli", "sims.world_cli"), sim)
    register_optional(("sims.train_cli",), subparsers)
