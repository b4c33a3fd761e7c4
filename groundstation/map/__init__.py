"""Slippy map: Web Mercator maths, tile sources (XYZ with disk cache, MBTiles) and the map view."""
