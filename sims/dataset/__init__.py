"""Training data from the simulated camera (ultralytics/YOLO format) and its evaluation."""
