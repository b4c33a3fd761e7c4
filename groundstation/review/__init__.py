"""Review (officer): login, the infraction queue, evidence viewer, decisions and exports — all audited."""
