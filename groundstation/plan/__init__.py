"""Plan (pilot): draw or import an area/route, choose a pattern and its parameters, check, edit, upload, save."""
