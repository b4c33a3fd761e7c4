"""One log file per component under the run's ``logs/`` directory (flight, vision, infractions, datalink,
sims, system), plus ``all.log``; handlers are removed again when the run ends."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

COMPONENTS = {"flight": ("flight",), "vision": ("vision",), "infractions": ("infractions",),
              "datalink": ("datalink", "zenoh"), "sims": ("sims",), "system": ("aeropatrol",)}


class _Prefix(logging.Filter):
    """Pass records whose logger name starts with one of the prefixes."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".")[0] in self.prefixes


@contextmanager
def component_logs(log_dir: Path, level: int = logging.INFO) -> Iterator[Path]:
    """Attach the per-component file handlers to the root logger for the duration of a run."""
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    handlers = []
    for name, prefixes in COMPONENTS.items():
        h = logging.FileHandler(log_dir / f"{name}.log")
        h.addFilter(_Prefix(prefixes))
        handlers.append(h)
    handlers.append(logging.FileHandler(log_dir / "all.log"))
    old_level = root.level
    root.setLevel(min(level, root.level) if root.level else level)
    for h in handlers:
        h.setFormatter(fmt)
        h.setLevel(level)
        root.addHandler(h)
    try:
        yield log_dir
    finally:
        for h in handlers:
            root.removeHandler(h)
            h.close()
        root.setLevel(old_level)
