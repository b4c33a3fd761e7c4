"""Commands: COMMAND_ACK results as typed exceptions, retries with confirmation, per-flavour mode parameters."""
from __future__ import annotations

import math

import pytest

from flight.commands import (CommandDenied, CommandTemporarilyRejected, CommandTimeout, CommandUnsupported,
                             VehicleCommands)
from flight.link import LinkConfig, MavLink
from flight.mav import mavlink2
from flight.modes import Flavour, Intent, UnknownMode, set_mode_params
from test_flight_mission_fakepeer import FakePeer, free_udp_port


@pytest.fixture(params=["ardupilot", "px4"])
def session(request):
    port = free_udp_port()
    link = MavLink(LinkConfig(f"udpin:127.0.0.1:{port}")).open()
    with FakePeer(port, flavour=request.param) as peer:
        link.wait_vehicle(10)
        yield VehicleCommands(link), peer
    link.close()


def test_accepted_command_returns_ack(session):
    cmds, peer = session
    ack = cmds.arm()
    assert ack.result == 0 and ack.attempts == 1
    sent = peer.commands_seen[-1]
    assert sent.command == mavlink2.MAV_CMD_COMPONENT_ARM_DISARM and sent.param1 == 1 and sent.param2 == 0
    assert sent.target_system == 1 and sent.get_srcSystem() == 255


@pytest.mark.parametrize("result, exc, name", [(1, CommandTemporarilyRejected, "TEMPORARILY_REJECTED"),
                                               (2, CommandDenied, "DENIED"), (3, CommandUnsupported, "UNSUPPORTED")])
def test_refusals_are_typed_and_named(session, result, exc, name):
    cmds, peer = session
    peer.command_results[mavlink2.MAV_CMD_COMPONENT_ARM_DISARM] = result
    with pytest.raises(exc) as err:
        cmds.arm()
    assert str(err.value) == f"MAV_CMD_COMPONENT_ARM_DISARM: {name}"
    assert err.value.result == result and err.value.attempts == 1


def test_no_ack_is_retried_with_incremented_confirmation(session):
    cmds, peer = session
    peer.command_results[mavlink2.MAV_CMD_NAV_TAKEOFF] = None  # the vehicle never answers
    with pytest.raises(CommandTimeout) as err:
        cmds.cmd.command_long(mavlink2.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10, timeout_s=0.1, retries=3)
    assert "NO_ACK" in str(err.value) and "4 attempts" in str(err.value)
    sent = [c for c in peer.commands_seen if c.command == mavlink2.MAV_CMD_NAV_TAKEOFF]
    assert [c.confirmation for c in sent] == [0, 1, 2, 3]


def test_mode_and_takeoff_parameters_follow_the_flavour(session):
    cmds, peer = session
    mode = cmds.set_intent(Intent.MISSION)
    sent = peer.commands_seen[-1]
    assert sent.command == mavlink2.MAV_CMD_DO_SET_MODE and sent.param1 == 1
    if cmds.flavour is Flavour.ARDUPILOT:
        assert mode == "AUTO" and sent.param2 == 3
        cmds.takeoff(25.0)
        assert peer.commands_seen[-1].param7 == 25.0  # above home
    else:
        assert mode == "AUTO.MISSION" and (sent.param2, sent.param3) == (4, 4)
        cmds.takeoff(25.0, home_amsl_m=488.0)
        assert peer.commands_seen[-1].param7 == 513.0  # AMSL
        assert math.isnan(peer.commands_seen[-1].param4)


def test_positions_go_as_command_int_in_degrees_e7(session):
    cmds, peer = session
    cmds.reposition(47.3981, 8.5461, 510.0)
    sent = peer.commands_seen[-1]
    assert sent.get_type() == "COMMAND_INT" and sent.command == mavlink2.MAV_CMD_DO_REPOSITION
    assert (sent.x, sent.y, sent.z, sent.frame) == (473981000, 85461000, 510.0, mavlink2.MAV_FRAME_GLOBAL)
    cmds.set_roi(47.3979, 8.5458, 488.0)
    assert peer.commands_seen[-1].command == mavlink2.MAV_CMD_DO_SET_ROI_LOCATION


def test_gimbal_falls_back_to_mount_control(session):
    cmds, peer = session
    peer.command_results[mavlink2.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW] = 3
    cmds.gimbal_pitch_yaw(-45.0, 10.0)
    last = peer.commands_seen[-1]
    assert last.command == mavlink2.MAV_CMD_DO_MOUNT_CONTROL and (last.param1, last.param3) == (-45.0, 10.0)


def test_unknown_modes_are_refused_before_sending():
    with pytest.raises(UnknownMode) as err:
        set_mode_params(Flavour.ARDUPILOT, "MISSION")
    assert "ArduPilot Copter has no mode 'MISSION'" in str(err.value)
    assert set_mode_params(Flavour.PX4, "hold") == (1.0, 4.0, 3.0)
    assert set_mode_params(Flavour.PX4, "POSCTL") == (1.0, 3.0, 0.0)
    assert set_mode_params(Flavour.ARDUPILOT, "brake") == (1.0, 17.0, 0.0)
