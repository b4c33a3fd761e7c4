"""Software-in-the-loop simulation: MAVLink vehicle, synthetic town, camera, scenarios."""
