"""Creates a job's folder on its host: ``python3 -I -S -c <this file> JOBS_ROOT JOB_ID``.

``console.jobs.manager`` sends the job's record and its environment as one JSON document on stdin
(``{"job": {...}, "env": {"NAME": "value"}}``), so no value ever appears on a command line.
In one round trip this makes ``JOBS_ROOT`` (0700), the new folder ``JOBS_ROOT/JOB_ID``
(0700, refused when it exists) and, created exclusively and without following links, its
files, each 0600:

- ``job.json``   the record: argv, cwd, name, group, the environment's names (no values);
- ``env.json``   the environment's values, read by the runner and by a re-run only;
- ``output.log`` empty, the runner appends to it.

The user's home may be readable by others; what a job holds (commands, tokens passed as
environment variables, training output) is the user's alone. Prints nothing on success; on
failure the reason on stderr and exit status 1.

Runs on whatever ``python3`` the host has: standard library only, Python 3.6 syntax.
"""

import json
import os
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


def main(root, job_id, document):
    os.umask(0o077)  # whatever this creates, folders included, is the user's alone
    os.makedirs(root, FOLDER_MODE, exist_ok=True)
    os.chmod(root, FOLDER_MODE)  # a jobs folder made by an older console: close it too
    job_dir = os.path.join(root, job_id)
    os.mkdir(job_dir, FOLDER_MODE)
    _create(os.path.join(job_dir, "env.json"), json.dumps(document["env"]).encode("utf-8"))
    _create(os.path.join(job_dir, "output.log"), b"")
    # last: a folder without job.json is not listed as a job
    _create(os.path.join(job_dir, "job.json"), json.dumps(document["job"], indent=1).encode("utf-8"))


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2], json.loads(sys.stdin.buffer.read().decode("utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"cannot create the job's folder: {exc}\n")
        sys.exit(1)
