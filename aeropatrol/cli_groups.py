"""Helpers for command groups whose sub-commands come from several modules."""
from __future__ import annotations

import argparse
import importlib


def register_optional(modules: tuple[str, ...], subparsers: argparse._SubParsersAction) -> None:
    """Call ``register(subparsers)`` of each module that exists; a module not written yet is skipped."""
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)


def group_subparsers(subparsers: argparse._SubParsersAction, group: str) -> argparse._SubParsersAction:
    """The sub-command table of an existing group (e.g. ``sim``), so other modules can add to it."""
    parser = subparsers.choices[group]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise KeyError(f"command group {group!r} has no sub-commands")


def add_group(subparsers: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    """Add a command group that prints its help when called without a sub-command."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(func=lambda _args: (parser.print_help(), 2)[1])
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
