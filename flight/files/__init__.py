"""Files pilots already have: QGroundControl .plan, QGC WPL 110 .waypoints, GeoJSON/KML areas and routes."""
from flight.files.areas import Shape, load_area, load_shapes, shapes_from_geojson, shapes_from_kml
from flight.files.errors import FileFormatError
from flight.files.qgc_plan import load_plan, plan_from_dict, plan_to_dict, save_plan
from flight.files.waypoints import load_waypoints, plan_from_waypoints_text, save_waypoints, waypoints_text

__all__ = ["FileFormatError", "Shape", "load_area", "load_plan", "load_shapes", "load_waypoints", "plan_from_dict",
           "plan_from_waypoints_text", "plan_to_dict", "save_plan", "save_waypoints", "shapes_from_geojson",
           "shapes_from_kml", "waypoints_text"]
