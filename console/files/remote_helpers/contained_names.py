"""Judge many names from outside against a folder on the host, in one round trip.

Run on a host as ``python3 -c SOURCE ROOT`` with the names on stdin, each ended by a NUL
byte (any bytes but NUL, so a name may hold a newline or bytes that are not UTF-8). For
every name the containment rule (``console.files.paths.contained_path``, shipped ahead of
this text) refuses, it prints one JSON line ``{"index": I, "reason": ".."}`` (I counts the
names from 0); then ``{"done": N}`` with the number of names read. The folders are resolved
here, where they are, so a link already on the host counts. Nothing is created.

Standard library only, Python 3.6 syntax.
"""

import json
import os
import sys

from console.files.paths import UnsafeName, contained_path  # shipped ahead on a host


def judge(root, names):
    """(index, reason) of every name in ``names`` (bytes) that may not be written under
    ``root``; each folder is resolved once."""
    resolved = {}

    def realpath(path):
        if path not in resolved:
            resolved[path] = os.path.realpath(path)
        return resolved[path]

    refused = []
    for index, raw in enumerate(names):
        try:
            contained_path(root, os.fsdecode(raw), realpath=realpath)
        except UnsafeName as exc:
            refused.append((index, exc.reason))
    return refused


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("contained_names: give the destination folder only\n")
        return 2
    root = argv[0]
    data = sys.stdin.buffer.read()
    names = data.split(b"\0")
    if names and names[-1] == b"":
        names.pop()
    for index, reason in judge(root, names):
        sys.stdout.write(json.dumps({"index": index, "reason": reason}) + "\n")
    sys.stdout.write(json.dumps({"done": len(names)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
