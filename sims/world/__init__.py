"""The synthetic town: procedural geometry, zones GeoJSON, orthophoto and MBTiles base map."""
