"""The remote sampler's reading of /proc/mounts: a mount point is bytes a user chose (0xff, a
space, a backslash), never assumed UTF-8; one such mount once stopped the whole sampler."""

from __future__ import annotations

import io
import os

from console.hostmon.python_sampler import PYTHON_SAMPLER

PROC_MOUNTS = (
    b"/dev/root / ext4 rw 0 0\n"
    b"proc /proc proc rw 0 0\n"
    b"/dev/sdb1 /data\\040set ext4 rw 0 0\n"
    b"/dev/sdc1 /mnt/caf\\351\\377 xfs rw 0 0\n"
    b"/dev/sdd1 /back\\134slash ext4 rw 0 0\n"
)


def sampler_mounts(proc_mounts: bytes) -> list[str]:
    """``mounts()`` of the script sent to hosts, reading ``proc_mounts`` as /proc/mounts."""
    functions = PYTHON_SAMPLER[PYTHON_SAMPLER.index("def important"):PYTHON_SAMPLER.index("def disks")]

    def fake_open(path, mode="r"):
        assert path == "/proc/mounts" and "b" in mode  # read as bytes, never decoded whole
        return io.BytesIO(proc_mounts)

    namespace = {"os": os, "open": fake_open, "FSTYPES": {"ext4", "xfs"}, "SKIP": [],
                 "extra": []}  # fmt: skip
    exec(functions, namespace)  # the script's own code, as the host runs it
    return namespace["mounts"]()


def test_odd_bytes_and_escapes_in_mount_points_are_read_not_fatal():
    found = sampler_mounts(PROC_MOUNTS)

    assert found == ["/", "/data set", os.fsdecode(b"/mnt/caf\xe9\xff"), "/back\\slash"]
    assert os.fsencode(found[2]) == b"/mnt/caf\xe9\xff"  # statvfs gets the very bytes back
