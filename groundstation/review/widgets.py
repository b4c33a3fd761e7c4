"""Evidence widgets: speed profile plot (from data), clip player (cv2 frames on a QTimer), scaled image label."""
from __future__ import annotations

import math
from pathlib import Path

from PyQt5.QtCore import QPointF, QRectF, Qt, QTimer
from PyQt5.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget


class ImageLabel(QLabel):
    """A QLabel that keeps its pixmap scaled to fit, aspect preserved."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(placeholder, parent)
        self._pixmap: QPixmap | None = None
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(200, 130)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setStyleSheet("background: #12171b; color: #90a4ae;")

    def set_image(self, image: QImage | QPixmap | None, placeholder: str = "") -> None:
        if image is None or image.isNull():
            self._pixmap = None
            self.clear()
            self.setText(placeholder)
            return
        self._pixmap = image if isinstance(image, QPixmap) else QPixmap.fromImage(image)
        self._rescale()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(self._pixmap.scaled(self.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))


class SpeedProfile(QWidget):
    """Speed over time with its ±k·sigma band, the limit and the threshold, from (t, kmh, sigma) samples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.samples: list[tuple[float, float, float]] = []
        self.limit_kmh: float | None = None
        self.threshold_kmh: float | None = None
        self.k_sigma = 2.0
        self.window: tuple[float, float] | None = None
        self.setMinimumSize(260, 140)

    def set_profile(self, samples, limit_kmh=None, threshold_kmh=None, k_sigma: float = 2.0, window=None) -> None:
        self.samples = [(float(s[0]), float(s[1]), float(s[2]) if len(s) > 2 else 0.0) for s in samples or []]
        self.limit_kmh, self.threshold_kmh, self.k_sigma, self.window = limit_kmh, threshold_kmh, k_sigma, window
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        p.setFont(QFont("DejaVu Sans", 7))
        if not self.samples:
            p.setPen(QColor("#607d8b"))
            p.drawText(self.rect(), Qt.AlignCenter, "no speed profile")
            p.end()
            return
        r = QRectF(36, 8, self.width() - 44, self.height() - 26)
        t0, t1 = self.samples[0][0], self.samples[-1][0]
        t1 = t1 if t1 > t0 else t0 + 1
        vmax = max([s[1] + self.k_sigma * s[2] for s in self.samples] + [self.limit_kmh or 0, self.threshold_kmh or 0]) * 1.15
        vmax = max(vmax, 10.0)

        def pt(t: float, v: float) -> QPointF:
            return QPointF(r.left() + (t - t0) / (t1 - t0) * r.width(), r.bottom() - v / vmax * r.height())

        p.setPen(QPen(QColor("#b0bec5"), 1))
        p.drawRect(r)
        step = 10 ** math.floor(math.log10(vmax / 2)) * (5 if vmax / 10 ** math.floor(math.log10(vmax)) > 5 else 2)
        v = 0.0
        while v <= vmax:
            y = pt(t0, v).y()
            p.setPen(QPen(QColor("#eceff1"), 1))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.setPen(QColor("#455a64"))
            p.drawText(QRectF(0, y - 6, 32, 12), Qt.AlignRight | Qt.AlignVCenter, f"{v:.0f}")
            v += step
        if self.window:
            a, b = pt(self.window[0], 0).x(), pt(self.window[1], 0).x()
            p.fillRect(QRectF(a, r.top(), max(1.0, b - a), r.height()), QColor(255, 82, 82, 40))
        band = QPainterPath(pt(self.samples[0][0], self.samples[0][1] + self.k_sigma * self.samples[0][2]))
        for t, s, sg in self.samples[1:]:
            band.lineTo(pt(t, s + self.k_sigma * sg))
        for t, s, sg in reversed(self.samples):
            band.lineTo(pt(t, max(0.0, s - self.k_sigma * sg)))
        p.fillPath(band, QColor(30, 136, 229, 60))
        line = QPainterPath(pt(self.samples[0][0], self.samples[0][1]))
        for t, s, _ in self.samples[1:]:
            line.lineTo(pt(t, s))
        p.setPen(QPen(QColor("#1565c0"), 2))
        p.drawPath(line)
        for value, colour, name in ((self.limit_kmh, "#c62828", "limit"), (self.threshold_kmh, "#ef6c00", "threshold")):
            if value:
                y = pt(t0, value).y()
                p.setPen(QPen(QColor(colour), 1.5, Qt.DashLine))
                p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
                p.drawText(QPointF(r.left() + 4, y - 3), f"{name} {value:.0f} km/h")
        p.setPen(QColor("#455a64"))
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 14), Qt.AlignCenter,
                   f"time (s), {t1 - t0:.1f} s shown · speed km/h ± {self.k_sigma:g}σ")
        p.end()


class ClipPlayer(QWidget):
    """Plays an evidence clip: cv2 decodes frames, a QTimer shows them in an ImageLabel (no QtMultimedia needed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames: list[QImage] = []
        self.fps = 10.0
        self.index = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.screen = ImageLabel("no clip")
        lay.addWidget(self.screen, 1)
        row = QHBoxLayout()
        self.play_btn = QPushButton("Play")
        self.play_btn.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.valueChanged.connect(self.seek)
        self.pos_label = QLabel("0/0")
        row.addWidget(self.play_btn)
        row.addWidget(self.slider, 1)
        row.addWidget(self.pos_label)
        lay.addLayout(row)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.step)

    def load(self, path: str | Path | None, max_frames: int = 600) -> int:
        """Decode a clip (mp4/avi) into memory; returns the frame count (0 when absent/undecodable)."""
        self.timer.stop()
        self.play_btn.setText("Play")
        self.frames = []
        if path is not None and Path(path).is_file():
            from groundstation.qtenv import import_cv2

            cv2 = import_cv2()
            cap = cv2.VideoCapture(str(path))
            self.fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
            while len(self.frames) < max_frames:
                ok, bgr = cap.read()
                if not ok:
                    break
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                h, w = rgb.shape[:2]
                self.frames.append(QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy())
            cap.release()
        self.slider.setRange(0, max(0, len(self.frames) - 1))
        self.index = 0
        self.seek(0)
        return len(self.frames)

    def toggle(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play_btn.setText("Play")
        elif self.frames:
            self.timer.start(int(1000 / max(1.0, min(60.0, self.fps))))
            self.play_btn.setText("Pause")

    def step(self) -> None:
        if not self.frames:
            return
        self.slider.setValue((self.index + 1) % len(self.frames))

    def seek(self, i: int) -> None:
        if not self.frames:
            self.screen.set_image(None, "no clip")
            self.pos_label.setText("0/0")
            return
        self.index = max(0, min(i, len(self.frames) - 1))
        self.screen.set_image(self.frames[self.index])
        self.pos_label.setText(f"{self.index + 1}/{len(self.frames)}")
