"""Copies between this machine, hosts and S3: planning, resumable streams, verification, a queue."""
