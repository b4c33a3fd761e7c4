"""Traffic-infraction rules over georeferenced tracks, evidence packages and the durable store."""
