"""Simulated gimbal camera: renderer, sensor effects, frame transport."""
