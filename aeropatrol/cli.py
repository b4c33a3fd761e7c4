"""The `aeropatrol` command: one argparse tree, each package contributes its own subcommands.

Every package that offers commands has a ``<package>/cli.py`` with ``register(subparsers)``.
Those modules import only argparse at module level; heavy imports (torch, Qt, zenoh) happen
inside the command handlers so that ``aeropatrol --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib

from aeropatrol.cli_groups import register_optional
import os
import sys
from collections.abc import Sequence

os.environ.setdefault("MAVLINK20", "1")

#: Modules that contribute subcommands, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "geo.cli",
    "flight.cli",
    "sims.cli",
    "vision.cli",
    "infractions.cli",
    "datalink.cli",
    "groundstation.cli",
    "aeropatrol.system_cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the full parser from every package's ``register`` hook."""
    parser = argparse.ArgumentParser(
        prog="aeropatrol",
        description="AeroPatrol: drone patrols with onboard detection, georeferenced infractions and a ground station.",
    )
    parser.add_argument("--version", action="version", version=f"aeropatrol {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_optional(COMMAND_MODULES, sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aeropatrol")
    except PackageNotFoundError:
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch to the handler set with ``set_defaults(func=...)``, return its code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    code = func(args)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
