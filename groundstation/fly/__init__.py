"""Fly (pilot): connect to a MAVLink endpoint, HUD, STATUSTEXT log, confirmed vehicle actions."""
