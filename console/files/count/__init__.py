"""Counts of files, folders and bytes under a path on this machine or a host, and side-by-side comparisons."""
