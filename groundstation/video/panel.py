"""Live video panel: shows the newest frame and paints track boxes, ids and classes from DATA (never burned in).

Frames arrive as datalink ``Thumbnail`` messages (JPEG + ``ThumbBox`` list) or from ``RtspSource``
(cv2 on a worker thread). The overlay is a QPainter pass over the scaled image.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from PyQt5.QtCore import QObject, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QImage, QPainter, QPen
from PyQt5.QtWidgets import QSizePolicy, QWidget

from groundstation.map.layers import CLASS_COLOURS


@dataclass(frozen=True)
class OverlayBox:
    """One box to draw, in source-image pixels."""

    track_id: int
    cls: str
    x0: float
    y0: float
    x1: float
    y1: float
    label: str = ""


class VideoPanel(QWidget):
    """Renders the latest frame with overlay boxes; ``frames`` counts frames shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.boxes: list[OverlayBox] = []
        self.caption = "no video"
        self.frames = 0
        self.last_time_s = 0.0
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def show_thumbnail(self, msg, speeds_kmh: dict[int, float] | None = None) -> bool:
        """Show a datalink ``Thumbnail``; False (frame kept) if its JPEG does not decode."""
        img = QImage.fromData(bytes(msg.jpeg), "JPG")
        if img.isNull():
            self.caption = f"frame {msg.frame_id}: undecodable JPEG"
            self.update()
            return False
        sx = img.width() / msg.width if msg.width else 1.0
        sy = img.height() / msg.height if msg.height else 1.0
        boxes = []
        for b in msg.boxes:
            x0, y0, x1, y1 = b.bbox_xyxy
            extra = f" {speeds_kmh[b.track_id]:.0f} km/h" if speeds_kmh and b.track_id in speeds_kmh else ""
            boxes.append(OverlayBox(b.track_id, b.cls, x0 * sx, y0 * sy, x1 * sx, y1 * sy, f"#{b.track_id} {b.cls}{extra}"))
        self.show_image(img, boxes, f"{msg.vehicle_id} frame {msg.frame_id} {time.strftime('%H:%M:%S', time.gmtime(msg.time_s))}Z")
        self.last_time_s = msg.time_s
        return True

    def show_image(self, image: QImage, boxes: list[OverlayBox] = (), caption: str = "") -> None:
        self.image = image
        self.boxes = list(boxes)
        self.caption = caption
        self.frames += 1
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#0b0f12"))
        if self.image is None:
            p.setPen(QColor("#90a4ae"))
            p.drawText(self.rect(), Qt.AlignCenter, self.caption)
            p.end()
            return
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, (self.height() - 16) / ih)
        ox, oy = (self.width() - iw * scale) / 2, (self.height() - 16 - ih * scale) / 2
        target = QRectF(ox, oy, iw * scale, ih * scale)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.drawImage(target, self.image)
        p.setRenderHint(QPainter.Antialiasing)
        p.setFont(QFont("DejaVu Sans", 8, QFont.Bold))
        for b in self.boxes:
            colour = QColor(CLASS_COLOURS.get(b.cls, "#eeeeee"))
            r = QRectF(ox + b.x0 * scale, oy + b.y0 * scale, (b.x1 - b.x0) * scale, (b.y1 - b.y0) * scale)
            p.setPen(QPen(colour, 2))
            p.setBrush(Qt.NoBrush)
            p.drawRect(r)
            text = b.label or f"#{b.track_id} {b.cls}"
            tw = p.fontMetrics().horizontalAdvance(text) + 6
            p.fillRect(QRectF(r.left(), r.top() - 14, tw, 14), colour)
            p.setPen(QColor("white"))
            p.drawText(QRectF(r.left() + 3, r.top() - 14, tw, 14), Qt.AlignVCenter, text)
        p.setPen(QColor("#cfd8dc"))
        p.setFont(QFont("DejaVu Sans", 8))
        p.drawText(QRectF(4, self.height() - 16, self.width() - 8, 16), Qt.AlignVCenter, self.caption)
        p.end()


class RtspSource(QObject):
    """Reads an RTSP/file stream with cv2 on a thread and emits QImages (import cv2 after the QApplication)."""

    frame = pyqtSignal(QImage, float)
    ended = pyqtSignal(str)

    def __init__(self, url: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rtsp", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        from groundstation.qtenv import import_cv2

        cv2 = import_cv2()
        cap = cv2.VideoCapture(self.url)
        if not cap.isOpened():
            self.ended.emit(f"cannot open {self.url}")
            return
        while not self._stop.is_set():
            ok, bgr = cap.read()
            if not ok:
                self.ended.emit("stream ended")
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            h, w = rgb.shape[:2]
            img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
            self.frame.emit(img, time.time())
        cap.release()


class VideoTab(QWidget):
    """The Video tab: the live panel (data-link thumbnails) plus a direct stream URL (RTSP or a file)."""

    def __init__(self, panel: VideoPanel, parent: QWidget | None = None) -> None:
        from PyQt5.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

        super().__init__(parent)
        self.panel = panel
        self.source: RtspSource | None = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.url = QLineEdit(placeholderText="rtsp://192.168.1.10:8554/main (or a video file) — empty: data-link thumbnails")
        self.open_btn = QPushButton("Open stream")
        self.open_btn.clicked.connect(self.toggle)
        row.addWidget(self.url, 1)
        row.addWidget(self.open_btn)
        lay.addLayout(row)
        lay.addWidget(panel, 1)

    def toggle(self) -> None:
        """Open the stream in the URL box, or close the open one."""
        if self.source is not None:
            self.close_stream()
            return
        url = self.url.text().strip()
        if not url:
            return
        self.source = RtspSource(url, self)
        self.source.frame.connect(lambda img, t: self.panel.show_image(img, [], f"{url} {time.strftime('%H:%M:%S')}"))
        self.source.ended.connect(self._ended)
        self.source.start()
        self.open_btn.setText("Close stream")

    def _ended(self, why: str) -> None:
        self.panel.caption = f"stream: {why}"
        self.panel.update()
        self.close_stream()

    def close_stream(self) -> None:
        if self.source is not None:
            self.source.stop()
            self.source = None
        self.open_btn.setText("Open stream")
