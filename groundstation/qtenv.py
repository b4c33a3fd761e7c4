"""Qt environment helpers: one QApplication, and cv2 imported without breaking Qt's plugin paths."""
from __future__ import annotations

import os
import sys


def ensure_app(argv: list[str] | None = None):
    """The QApplication (created once, before cv2 is ever imported)."""
    from PyQt5.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("AeroPatrol Ground Station")
        app.setOrganizationName("AeroPatrol")
    return app


def import_cv2():
    """Import cv2 and undo the Qt plugin/font paths it sets (they break PyQt5 on a real display)."""
    saved = {k: os.environ.get(k) for k in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")}
    import cv2

    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    return cv2
