"""The SITL scenario runner behind ``aeropatrol sim run`` and ``aeropatrol demo``: a lockstep sim host
(town, traffic, camera, vehicles), the flight side, the onboard app, a ground side, link faults, a report."""
