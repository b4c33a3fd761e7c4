"""The history of MAVLink endpoints the pilot connected to, most recent first, persisted as JSON."""
from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_ENDPOINTS = ("tcp:127.0.0.1:5760", "udpin:0.0.0.0:14550")


def default_history_path() -> Path:
    """``$AEROPATROL_GS_HOME/endpoints.json`` or ``~/.config/aeropatrol/endpoints.json``."""
    base = os.environ.get("AEROPATROL_GS_HOME") or Path.home() / ".config" / "aeropatrol"
    return Path(base) / "endpoints.json"


class EndpointHistory:
    """Most-recent-first list of connection strings, capped at ``limit``; a corrupt file starts empty."""

    def __init__(self, path: str | Path | None = None, limit: int = 10) -> None:
        self.path = Path(path) if path else default_history_path()
        self.limit = limit
        self.items: list[str] = self._load()

    def _load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
            return []
        return [str(x) for x in data["endpoints"] if isinstance(x, str) and x.strip()][: self.limit]

    def add(self, endpoint: str) -> None:
        """Move (or add) an endpoint to the top and save."""
        endpoint = endpoint.strip()
        if not endpoint:
            return
        self.items = [endpoint] + [e for e in self.items if e != endpoint]
        self.items = self.items[: self.limit]
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"endpoints": self.items}, indent=1))
        tmp.replace(self.path)

    def choices(self) -> list[str]:
        """History, then the usual defaults not in it."""
        return self.items + [e for e in DEFAULT_ENDPOINTS if e not in self.items]
