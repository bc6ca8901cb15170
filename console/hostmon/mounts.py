"""Which mounts the host view shows: ``/`` and the data filesystems, not the system's corners."""

from __future__ import annotations

#: filesystems whose use matters (data, checkpoints, datasets); S3 FUSE mounts report
#: made-up sizes and are left out
DISK_FSTYPES = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "nfs", "nfs4", "lustre"})
#: mount points that are never where data lives
SKIPPED_PREFIXES = ("/boot", "/snap", "/proc", "/sys", "/dev", "/run", "/var/lib/docker")


def is_important_mount(mountpoint: str, fstype: str) -> bool:
    """``/`` always; otherwise a real data filesystem outside the system's own corners."""
    if mountpoint == "/":
        return True
    if fstype not in DISK_FSTYPES:
        return False
    return not any(mountpoint == p or mountpoint.startswith(p + "/") for p in SKIPPED_PREFIXES)
