"""Wire messages and the onboard -> ground store-and-forward transport (Zenoh)."""
