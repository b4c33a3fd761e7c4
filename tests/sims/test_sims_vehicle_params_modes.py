"""Parameters (list/read/set, persisted per instance) and mode encoding for both flavours."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
from sims_vehicle_lockstep import M, LockstepGcs

from sims.vehicle.modes import Flavour, Mode, decode_custom_mode, encode_custom_mode
from sims.vehicle.params import DEFAULTS, ParamError, ParamStore


def test_param_list_read_set_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "vehicle-1.parm"
    gcs = LockstepGcs(params_path=path)
    gcs.send(M.MAVLink_param_request_list_message(1, 1))
    gcs.run(0.05)
    values = gcs.of("PARAM_VALUE")
    assert len(values) == len(DEFAULTS) == values[0].param_count
    assert sorted(v.param_index for v in values) == list(range(len(DEFAULTS)))
    gcs.clear()
    gcs.send(M.MAVLink_param_set_message(1, 1, b"WPNAV_SPEED", 750.0, M.MAV_PARAM_TYPE_REAL32))
    gcs.send(M.MAVLink_param_set_message(1, 1, b"RTL_ALT", 2500.0, M.MAV_PARAM_TYPE_INT32))
    gcs.send(M.MAVLink_param_set_message(1, 1, b"NO_SUCH_PARAM", 1.0, M.MAV_PARAM_TYPE_REAL32))
    gcs.send(M.MAVLink_param_request_read_message(1, 1, b"FS_GCS_TIMEOUT", -1))
    gcs.run(0.05)
    echoed = {v.param_id: v.param_value for v in gcs.of("PARAM_VALUE")}
    assert echoed == {"WPNAV_SPEED": 750.0, "RTL_ALT": 2500.0, "FS_GCS_TIMEOUT": 5.0}
    assert any("NO_SUCH_PARAM" in m.text for m in gcs.of("STATUSTEXT"))
    assert gcs.v.autopilot.cruise_speed() == 7.5
    assert "WPNAV_SPEED 750" in path.read_text() and "RTL_ALT 2500" in path.read_text()
    again = LockstepGcs(params_path=path)  # a restart of the same instance keeps its parameters
    assert again.v.params["WPNAV_SPEED"] == 750.0 and again.v.params["RTL_ALT"] == 2500.0


def test_bad_param_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.parm"
    path.write_text("WPNAV_SPEED 500\nRTL_ALT fast\n")
    with pytest.raises(ParamError, match=r"broken.parm:2: RTL_ALT"):
        ParamStore(path)


def test_px4_flavour_encodes_integer_params_bytewise() -> None:
    gcs = LockstepGcs(flavour="px4")
    gcs.send(M.MAVLink_param_request_read_message(1, 1, b"RTL_ALT", -1))
    gcs.run(0.05)
    value = gcs.of("PARAM_VALUE")[-1]
    assert value.param_type == M.MAV_PARAM_TYPE_INT32
    assert struct.unpack("<i", struct.pack("<f", value.param_value))[0] == 1500
    wire = struct.unpack("<f", struct.pack("<i", 3000))[0]
    gcs.send(M.MAVLink_param_set_message(1, 1, b"RTL_ALT", wire, M.MAV_PARAM_TYPE_INT32))
    gcs.run(0.05)
    assert gcs.v.params["RTL_ALT"] == 3000


def test_custom_mode_encoding_both_flavours() -> None:
    assert encode_custom_mode(Flavour.ARDUPILOT, Mode.BRAKE) == 17
    assert encode_custom_mode(Flavour.PX4, Mode.AUTO) == (4 << 16) | (4 << 24)
    assert encode_custom_mode(Flavour.PX4, Mode.LOITER, taking_off=True) == (4 << 16) | (2 << 24)
    assert decode_custom_mode(Flavour.PX4, (4 << 16) | (5 << 24)) is Mode.RTL
    assert decode_custom_mode(Flavour.PX4, 4, 6) is Mode.LAND
    assert decode_custom_mode(Flavour.PX4, 3, 0) is Mode.LOITER  # POSCTL main mode as DO_SET_MODE param2
    assert decode_custom_mode(Flavour.PX4, 3 << 16) is Mode.LOITER  # the same as a full custom_mode word
    assert decode_custom_mode(Flavour.ARDUPILOT, 13) is None


def test_heartbeat_and_mode_changes_on_the_wire() -> None:
    ap = LockstepGcs()
    ap.run(2.0)
    hb = ap.of("HEARTBEAT")[-1]
    assert (hb.type, hb.autopilot, hb.custom_mode, hb.system_status) == (
        M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_ARDUPILOTMEGA, 0, M.MAV_STATE_STANDBY)
    assert ap.command(M.MAV_CMD_DO_SET_MODE, 1, 13) == M.MAV_RESULT_UNSUPPORTED  # SPORT is not simulated
    assert ap.command(M.MAV_CMD_DO_SET_MODE, 1, 3) == M.MAV_RESULT_FAILED  # AUTO without a mission
    ap.clear()
    ap.send(M.MAVLink_set_mode_message(1, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 5))
    ap.run(1.1)
    assert ap.of("COMMAND_ACK")[-1].command == M.MAV_CMD_DO_SET_MODE and ap.of("HEARTBEAT")[-1].custom_mode == 5
    assert ap.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
    ap.run(1.1)
    hb = ap.of("HEARTBEAT")[-1]
    assert hb.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED and hb.system_status == M.MAV_STATE_ACTIVE
    ap.run(11.0)  # DISARM_DELAY: armed on the ground without taking off
    assert not ap.v.armed and any("auto disarm" in m.text for m in ap.of("STATUSTEXT"))

    px4 = LockstepGcs(flavour="px4")
    px4.run(2.0)
    hb = px4.of("HEARTBEAT")[-1]
    assert hb.autopilot == M.MAV_AUTOPILOT_PX4 and hb.custom_mode == (4 << 16) | (3 << 24)  # AUTO.LOITER (Hold)
    assert px4.of("GLOBAL_POSITION_INT"), "PX4 streams without being asked"
    assert px4.command(M.MAV_CMD_DO_SET_MODE, 1, 4, 6) == M.MAV_RESULT_ACCEPTED and px4.v.mode is Mode.LAND
    # ArduPilot-only messages are not offered by the PX4 flavour
    assert px4.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_EKF_STATUS_REPORT, 500_000) == M.MAV_RESULT_FAILED


def test_start_up_overrides_are_not_persisted(tmp_path: Path) -> None:
    path = tmp_path / "v.parm"
    store = ParamStore(path, overrides={"SIM_WIND_SPD": 7.0})
    assert store["SIM_WIND_SPD"] == 7.0
    store.set("WPNAV_SPEED", 600)
    assert path.read_text() == "WPNAV_SPEED 600\n"
    assert ParamStore(path)["SIM_WIND_SPD"] == 0.0
