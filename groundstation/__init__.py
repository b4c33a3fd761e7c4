"""The PyQt5 ground station for pilots and reviewing officers."""
