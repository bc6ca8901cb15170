"""Unpacking many archives on a host with bounded parallelism, as a stream of progress and failures."""
