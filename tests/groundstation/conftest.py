"""Ground-station tests run headless (Qt offscreen) and save screenshots under artifacts/screenshots/."""
from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("MAVLINK20", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from gs_helpers import assert_rendered  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def screenshot():
    """save(widget_or_image, name) -> path: writes artifacts/screenshots/<name>.png and checks it is not blank."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(obj, name: str, min_colours: int = 20) -> Path:
        from PyQt5.QtGui import QImage

        image = obj if isinstance(obj, QImage) else obj.grab().toImage()
        assert_rendered(image, min_colours)
        path = SCREENSHOTS / f"{name}.png"
        assert image.save(str(path)), f"cannot write {path}"
        return path

    return save


@pytest.fixture(autouse=True)
def _gs_home(tmp_path, monkeypatch):
    """Endpoint history and caches go to a temporary directory, never the user's home."""
    monkeypatch.setenv("AEROPATROL_GS_HOME", str(tmp_path / "gs_home"))
