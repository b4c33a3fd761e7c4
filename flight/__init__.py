"""MAVLink link, vehicle state, mission/fence/rally protocol client, patrol planners and the mission controller."""
