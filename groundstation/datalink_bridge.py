"""Data-link feed for the UI: ``datalink.ground.GroundLink`` callbacks (worker thread) -> Qt signals (UI thread).

Tracks, infractions, thumbnails and vehicle summaries arrive on datalink's worker thread; the
signals are queued to the UI thread, where the plain models (``TrackTable``) and widgets are updated.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QObject, pyqtSignal


class DatalinkBridge(QObject):
    """Owns a ``GroundLink`` and re-emits what it receives as Qt signals."""

    tracks = pyqtSignal(str, list)  # vehicle_id, [TrackUpdate]
    infraction = pyqtSignal(str, object)  # vehicle_id, InfractionEvent
    thumbnail = pyqtSignal(str, object)  # vehicle_id, Thumbnail
    summary = pyqtSignal(str, object)  # vehicle_id, VehicleSummary
    evidence = pyqtSignal(str, object)  # vehicle_id, EvidenceRecord
    error = pyqtSignal(str)

    def __init__(self, inbox_path: str | Path, listen: tuple[str, ...] = (), connect: tuple[str, ...] = (),
                 sink=None, parent: QObject | None = None) -> None:
        """``sink`` (e.g. ``groundstation.ingest.StoreIngest``) files infractions/evidence on the worker thread
        before the UI hears of them."""
        super().__init__(parent)
        self.sink = sink
        self.inbox_path = Path(inbox_path)
        self.listen = tuple(listen)
        self.connect_to = tuple(connect)
        self.link = None

    def start(self) -> bool:
        """Open the Zenoh session and subscribe; False (with ``error``) when it cannot."""
        from datalink.config import LinkConfig
        from datalink.ground import GroundCallbacks, GroundLink
        from datalink.messages import TrackBatch

        def on_tracks(_fleet: str, vehicle: str, item) -> None:
            self.tracks.emit(vehicle, list(item.tracks) if isinstance(item, TrackBatch) else [item])

        def on_infraction(_fleet: str, vehicle: str, ev) -> None:
            if self.sink is not None:
                try:
                    self.sink.infraction(ev)
                except Exception as exc:  # the inbox still holds it; say so, do not stop the link
                    self.error.emit(f"infraction {ev.infraction_id} not filed in the store: {exc}")
            self.infraction.emit(vehicle, ev)

        def on_evidence(_fleet: str, vehicle: str, rec) -> None:
            if self.sink is not None:
                try:
                    self.sink.evidence(rec)
                except Exception as exc:
                    self.error.emit(f"evidence {rec.evidence_id} not filed in the store: {exc}")
            self.evidence.emit(vehicle, rec)

        callbacks = GroundCallbacks(
            on_tracks=on_tracks,
            on_infraction=on_infraction,
            on_evidence=on_evidence,
            on_thumbnail=lambda _f, v, th: self.thumbnail.emit(v, th),
            on_summary=lambda _f, v, s: self.summary.emit(v, s),
        )
        try:
            self.inbox_path.parent.mkdir(parents=True, exist_ok=True)
            self.link = GroundLink(LinkConfig(listen=self.listen, connect=self.connect_to), self.inbox_path,
                                   callbacks=callbacks).start()
        except Exception as exc:  # a data link problem must not stop the pilot from flying
            self.error.emit(f"data link not started: {exc}")
            self.link = None
            return False
        return True

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link = None
