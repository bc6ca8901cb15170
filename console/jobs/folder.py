"""Creates a job's folder on its host: ``python3 -I -S -c <this file> JOBS_ROOT JOB_ID``.

``console.jobs.manager`` sends the job's record and its environment as one JSON document on stdin
(``{"job": {...}, "env": {"NAME": "value"}}``), so no value ever appears on a command line.
In one round trip this makes ``JOBS_ROOT`` (0700), the new folder ``JOBS_ROOT/JOB_ID``
(0700, refused when it exists) and, created exclusively and without following links, its
files, each 0600:

- ``job.json``   the record: argv, cwd, name, group, the environment's names (no values);
- ``env.json``   the environment's values, read by the runner and by a re-run only;
- ``host_env.json`` (when the host gives its commands variables of its own: a demo
  instance's PATH and endpoint) those, under env.json's, read by the runner only;
- ``output.log`` empty, the runner appends to it;
- ``runner.py``  the runner's source (``console/jobs/runner.py``, sent in the document as
  ``"runner"``), which tmux starts as ``python3 -I -S JOB_DIR/runner.py JOB_DIR``: a process
  list then shows a short line naming the job, not a whole program. Written under a
  temporary name and renamed, so it is never seen half written.

A job started alone gets a name no other job of ``JOBS_ROOT`` has: a second ``train`` becomes
``train-2``, then ``train-3`` (a re-run of ``train-2`` too), chosen under a lock on
``JOBS_ROOT`` so two starts at once cannot pick the same one. The nodes of a multi-node
group keep theirs (the group id tells groups apart).

The user's home may be readable by others; what a job holds (commands, tokens passed as
environment variables, training output) is the user's alone. Prints ``{"name": NAME}`` (the
name the job got) on success; on failure the reason on stderr and exit status 1.

Runs on whatever ``python3`` the host has: standard library only, Python 3.6 syntax.
"""

import fcntl
import json
import os
import re
import sys

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def _create(path, data):
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_whole(folder, name, data):
    """``folder/name`` appears complete or not at all: written as ``.name.tmp``, renamed."""
    tmp = os.path.join(folder, "." + name + ".tmp")
    _create(tmp, data)
    os.rename(tmp, os.path.join(folder, name))


def _names_taken(root):
    taken = set()
    for entry in os.listdir(root):
        try:
            with open(os.path.join(root, entry, "job.json"), "rb") as f:
                record = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            taken.add(record["name"])
    return taken


def free_name(name, taken):
    """``name``, or the first of ``BASE-2``, ``BASE-3``, … that no job has, where BASE is
    ``name`` without a number this rule added (``train-2`` when ``train`` is taken too)."""
    if not name or name not in taken:
        return name
    numbered = re.match(r"(.+)-([0-9]+)\Z", name, re.DOTALL)
    base = numbered.group(1) if numbered and numbered.group(1) in taken else name
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def main(root, job_id, document):
    os.umask(0o077)  # whatever this creates, folders included, is the user's alone
    os.makedirs(root, FOLDER_MODE, exist_ok=True)
    os.chmod(root, FOLDER_MODE)  # a jobs folder made by an older console: close it too
    lock = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # until job.json is there: its name is taken
        return _make(root, job_id, document)
    finally:
        os.close(lock)


def _make(root, job_id, document):
    record = document["job"]
    if record.get("group") is None:
        record["name"] = free_name(record.get("name") or "", _names_taken(root))
    job_dir = os.path.join(root, job_id)
    os.mkdir(job_dir, FOLDER_MODE)
    _create(os.path.join(job_dir, "env.json"), json.dumps(document["env"]).encode("utf-8"))
    if document.get("host_env"):
        _create(os.path.join(job_dir, "host_env.json"),
                json.dumps(document["host_env"]).encode("utf-8"))  # fmt: skip
    _create(os.path.join(job_dir, "output.log"), b"")
    _create_whole(job_dir, "runner.py", document["runner"].encode("utf-8"))
    # last: a folder without job.json is not listed as a job
    _create(os.path.join(job_dir, "job.json"), json.dumps(record, indent=1).encode("utf-8"))
    return record["name"]


if __name__ == "__main__":
    try:
        name = main(sys.argv[1], sys.argv[2], json.loads(sys.stdin.buffer.read().decode("utf-8")))
        sys.stdout.write(json.dumps({"name": name}))
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"cannot create the job's folder: {exc}\n")
        sys.exit(1)
