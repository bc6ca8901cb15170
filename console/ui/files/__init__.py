"""The Files view: counts, comparisons, unpack, transfers, mounts."""
