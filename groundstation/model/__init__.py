"""Plain state objects of the ground station, fed by the MAVLink link and the data link; widgets render them."""
