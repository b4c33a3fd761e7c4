"""Patrol planning: route loop, area survey, road corridor, perimeter, orbit; validation against limits.

Public API (see docs/flight_planning.md): planners return a `PatrolPlan`; `check_plan` / `validate_plan`
give a `PlanReport` (distance, duration, energy, area) and refuse infeasible plans with typed errors.
"""
from flight.planning.corridor import plan_corridor
from flight.planning.errors import (AltitudeViolation, BatteryInsufficient, FenceViolation, InfeasiblePlan, PlanError,
                                    PlanParameterError, RangeViolation, Violation)
from flight.planning.fence import FenceCircle, FencePolygon, Geofence
from flight.planning.loop import ENDLESS, plan_loop
from flight.planning.model import CameraSpec, Home, PatrolPlan, RallyPoint, SafetyLimits, SurveySpan, VehicleProfile
from flight.planning.orbit import GuidedOrbit, plan_orbit
from flight.planning.perimeter import plan_perimeter
from flight.planning.survey import layout_survey, plan_survey, survey_spacing
from flight.planning.validate import PlanReport, check_plan, validate_plan

__all__ = [
    "AltitudeViolation", "BatteryInsufficient", "CameraSpec", "ENDLESS", "FenceCircle", "FencePolygon", "FenceViolation",
    "Geofence", "GuidedOrbit", "Home", "InfeasiblePlan", "PatrolPlan", "PlanError", "PlanParameterError", "PlanReport",
    "RallyPoint", "RangeViolation", "SafetyLimits", "SurveySpan", "VehicleProfile", "Violation", "check_plan",
    "layout_survey", "plan_corridor", "plan_loop", "plan_orbit", "plan_perimeter", "plan_survey", "survey_spacing",
    "validate_plan",
]
