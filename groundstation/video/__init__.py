"""Live video: datalink thumbnails (or an RTSP stream) with track overlays drawn from data."""
