"""Every packet the vehicle sends carries the next MAVLink sequence number, so a GCS can count losses."""
import os

os.environ.setdefault("MAVLINK20", "1")

from pymavlink.dialects.v20 import ardupilotmega as mavlink  # noqa: E402

from sims.vehicle import SimVehicle, VehicleConfig  # noqa: E402


def test_sequence_numbers_advance_per_packet():
    vehicle = SimVehicle(VehicleConfig(tcp_port=None, gps_lock_s=0.5))
    link = vehicle.add_memory_link()
    gcs = mavlink.MAVLink(None, srcSystem=255, srcComponent=190)
    link.client_send(gcs.request_data_stream_encode(1, 1, mavlink.MAV_DATA_STREAM_ALL, 10, 1))
    vehicle.advance(3.0)
    seqs = [m.get_seq() for m in link.client_messages()]
    assert len(seqs) > 30
    steps = {(b - a) % 256 for a, b in zip(seqs, seqs[1:])}
    assert steps == {1}
    vehicle.close()
