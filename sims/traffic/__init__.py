"""Road users of the synthetic town: vectorised traffic, scripted infractions, ground-truth logs."""
