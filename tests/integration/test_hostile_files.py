"""Hostile names against every path that builds a file name or hands one to a host tool.

Names come from outside (S3 keys, a host's listing, a mount's prefix) and are written by
someone who wants a file to land outside the folder the user chose, or a host tool to read
a name as an option or a shell command. Each test puts such names through the real channel
(moto's server, the test sshd, tmux jobs, s3fs, real files), then checks that a canary never
appears, that a sentinel tree around the destination stays byte-identical, that every name
the rule lets in arrives with its own bytes under its own name, and that every other one is
reported with its reason.

What each channel can carry: S3 keys are UTF-8 (moto's server also refuses a newline in a
key); names on a host are any bytes but ``/`` and NUL.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from console.aws.s3.service import S3Service
from console.aws.session import AwsSession
from console.commands import count as count_command
from console.commands import cp as cp_command
from console.errors import CountError, RemoteFileError
from console.files.count.engine import count_local, count_on_host
from console.files.count.s3 import count_s3_prefix
from console.files.mount import Credentials, list_mounts, mount, unmount
from console.files.paths import UnsafeName, name_parts
from console.files.transfer.engine import TransferEngine, TransferError, TransferSpec
from console.hosts import HostPool
from console.hosts.local import LocalHost
from console.hosts.ssh.host import ConnectionPool, SshHost
from console.models import CountOptions, MountOptions, TransferState
from console.services import Services
from console.settings import Settings

CANARY = b"canary: this file must never be written"
SECRET = b"secret: this file must never be copied"

#: hypothesis settings: few examples (each one crosses a real server), one server per module
# (the fixtures' servers live for the session), fixtures reused across examples
FEW = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# fmt: off
#: pieces people who write hostile names reach for: climbing, absolute paths, option-looking
#: names, shell and markup syntax, ANSI and OSC sequences, quotes, spaces and odd bytes
PIECES = [
    "..", ".", "", "/", "//", "-", "--", "-rf", "-delete", "--help", "~", "$HOME",
    "$(touch canary)", "`touch canary`", "'", '"', " ", "\t", "\n", "\r", ";", "|", "&",
    "[/]", "[b]x[/b]", "[@click=app.quit]", "\x1b[2J", "\x1b]52;c;Y2FuYXJ5\x07", "\x9b",
    "\u202e", "*", "?", "[", ",", "\\", "a", "img", "x.jpg", "é", "\udcff", "\udc80",
]
# fmt: on


def _s3_safe(text: str) -> bool:
    """What an S3 key can hold through moto's server: UTF-8 text, no NUL, no newline."""
    return (
        "\x00" not in text
        and "\n" not in text
        and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    )


s3_piece = st.one_of(
    st.sampled_from([p for p in PIECES if _s3_safe(p)]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\x00"), max_size=3),
)
#: a key's name below the copied prefix: pieces glued, "/" among them
s3_rel = st.lists(s3_piece, min_size=1, max_size=5).map("".join).filter(lambda s: s != "")

#: one segment of a name on a host: any bytes but "/" and NUL, not "." or ".."
host_segment = (
    st.one_of(
        st.sampled_from(PIECES).map(lambda s: os.fsencode(s)),
        st.binary(min_size=1, max_size=4),
    )
    .map(lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_"))
    .filter(lambda b: b not in (b"", b".", b".."))
)
host_path = st.lists(host_segment, min_size=1, max_size=3).map(tuple)


# --- what must not change ----------------------------------------------------------------


def snapshot(root: Path, skip: Path | None = None) -> dict[bytes, tuple[str, bytes]]:
    """Every entry under ``root`` (``skip`` and what is under it left out): its kind and,
    for a file its bytes, for a link its target. Equal snapshots: nothing changed."""
    found: dict[bytes, tuple[str, bytes]] = {}
    root_b = os.fsencode(root)
    skip_b = os.fsencode(skip) if skip is not None else None
    for directory, dirs, files in os.walk(root_b):
        for name in list(dirs):
            if os.path.join(directory, name) == skip_b:
                dirs.remove(name)
        for name in dirs + files:
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root_b)
            if os.path.islink(path):
                found[key] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[key] = ("dir", b"")
            else:
                with open(path, "rb") as handle:
                    found[key] = ("file", handle.read())
    for directory, dirs, _files in os.walk(root_b):  # links to folders are listed as dirs
        for name in dirs:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                found[os.path.relpath(path, root_b)] = ("link", os.readlink(path))
    return found


def sentinel_tree(root: Path) -> Path:
    """``root/outside/{a.txt,sub/b.txt}`` around an empty ``root/outside/dest``: the
    destination of the copies. Returns the destination."""
    outside = root / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "a.txt").write_bytes(b"sentinel a\n")
    (outside / "sub" / "b.txt").write_bytes(b"sentinel b\n")
    dest = outside / "dest"
    dest.mkdir()
    return dest


def files_holding(root: Path, content: bytes) -> list[bytes]:
    found = []
    for directory, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                with open(path, "rb") as handle:
                    if handle.read() == content:
                        found.append(path)
    return found


def no_canary_command_ran(*folders: Path) -> None:
    """``$(touch canary)`` and ``touch canary`` in backticks make a file named ``canary``
    wherever they run: in none of these folders, nor in the current one."""
    for folder in [*folders, Path.cwd()]:
        for _directory, _dirs, files in os.walk(folder):
            assert "canary" not in files, f"a shell ran a name as a command in {folder}"


def tree_files(root: Path) -> dict[bytes, bytes]:
    """Relative path (bytes) -> content of every regular file under ``root``."""
    found = {}
    root_b = os.fsencode(root)
    for directory, _dirs, files in os.walk(root_b):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, root_b)] = handle.read()
    return found


def clean(rel: str) -> str | None:
    """The name the rule writes ``rel`` under, or None when it refuses it."""
    try:
        return "/".join(name_parts(rel))
    except UnsafeName:
        return None


def writable_set(rels: list[str]) -> bool:
    """Whether the accepted names can all exist together on a file system: no two clean to
    the same path, and none is a folder of another (S3 holds ``a`` and ``a/b``; a disk
    cannot)."""
    cleaned = [c for c in map(clean, rels) if c is not None]
    if len(set(cleaned)) != len(cleaned):
        return False
    folders = {"/".join(c.split("/")[:i]) for c in cleaned for i in range(1, c.count("/") + 1)}
    return not folders & set(cleaned)


# --- fixtures ------------------------------------------------------------------------------

_buckets = itertools.count(1)


def fresh_bucket(s3) -> str:
    """A new bucket for one hypothesis example (the server is reset per test, not per
    example)."""
    name = f"hostile-{os.getpid()}-{next(_buckets)}"
    s3.create_bucket(Bucket=name)
    return name


def put_keys(s3, bucket: str, prefix: str, rels: list[str]) -> dict[str, bytes]:
    """One object per name under ``prefix/``, each holding its own name (so a file that
    lands under the wrong name shows), the climbing ones holding the canary."""
    bodies = {}
    for rel in rels:
        body = CANARY if clean(rel) is None else f"key {rel!r}".encode()
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=body)
        bodies[rel] = body
    return bodies


def _user_ids(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def hand_over(path: Path, user: str) -> None:
    """Give ``path`` and everything below it to ``user`` (the sshd's test user)."""
    uid, gid = _user_ids(user)
    os.chown(path, uid, gid)
    for directory, dirs, files in os.walk(os.fsencode(path)):
        for name in dirs + files:
            os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)


@pytest.fixture
def user_area(ssh_env) -> Iterator[Path]:
    """A folder in the ssh test user's home, owned by that user, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="hostile-", dir=ssh_env.material.user_home))
    hand_over(folder, ssh_env.material.user)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def user_subfolder(area: Path, ssh_env) -> Path:
    folder = Path(tempfile.mkdtemp(dir=area))
    hand_over(folder, ssh_env.material.user)
    return folder


def make_host_tree(root: Path, paths: list[tuple[bytes, ...]]) -> dict[bytes, bytes]:
    """Files at ``paths`` (segments as bytes) under ``root``, each holding its own path;
    one that cannot exist beside the others (a file where a folder is) is left out.
    Returns relative path -> content of what was made."""
    made = {}
    for segments in paths:
        rel = b"/".join(segments)
        path = os.path.join(os.fsencode(root), rel)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "xb") as handle:
                handle.write(b"file " + rel)
        except OSError:
            continue
        made[rel] = b"file " + rel
    return made


@pytest.fixture
def services_for(aws_endpoint, ssh_env):
    """Services on moto's server and the test sshd; ``hosts`` may be replaced."""
    made = []

    def build(hosts=None) -> Services:
        settings_ = Settings(endpoint_url=aws_endpoint, region="us-east-1")
        aws = AwsSession(settings_)
        pool = HostPool(
            config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
        )
        bundle = Services(settings=settings_, ec2=None, s3=S3Service(aws), hosts=hosts or pool)
        bundle.on_close += [aws.close, pool.close_all]
        made.append(bundle)
        return bundle

    yield build
    for bundle in made:
        bundle.close()


def run_command(module, argv: list[str], services) -> int:
    parser = argparse.ArgumentParser(prog="awsconsole")
    module.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args, services)


# --- S3 -> this machine ------------------------------------------------------------------


def test_cli_cp_of_a_prefix_keeps_a_dotdot_key_inside_and_reports_it(
    s3, services_for, tmp_path, capsys
):
    """``awsconsole cp s3://bucket/data DEST -r`` with a key ``data/../../x``."""
    bucket = fresh_bucket(s3)
    dest = sentinel_tree(tmp_path)
    s3.put_object(Bucket=bucket, Key="data/../../x", Body=CANARY)
    s3.put_object(Bucket=bucket, Key="data/ok.txt", Body=b"fine\n")
    before = snapshot(tmp_path, skip=dest)

    code = run_command(
        cp_command, ["cp", f"s3://{bucket}/data", str(dest), "-r", "--json"], services_for()
    )

    [result] = json.loads(capsys.readouterr().out)
    assert files_holding(tmp_path, CANARY) == []
    assert snapshot(tmp_path, skip=dest) == before
    assert tree_files(dest) == {b"data/ok.txt": b"fine\n"}
    assert result["files_copied"] == 1
    assert [r["name"] for r in result["refused"]] == ["../../x"]
    assert "'..'" in result["refused"][0]["reason"]
    assert code == 1  # not everything was copied


def test_cli_cp_lists_refused_names_as_text(s3, services_for, tmp_path, capsys):
    bucket = fresh_bucket(s3)
    dest = sentinel_tree(tmp_path)
    s3.put_object(Bucket=bucket, Key="data/../\x1b]52;c;Y2FuYXJ5\x07[/]", Body=CANARY)
    s3.put_object(Bucket=bucket, Key="data/ok.txt", Body=b"fine\n")

    code = run_command(cp_command, ["cp", f"s3://{bucket}/data", str(dest), "-r"], services_for())

    out = capsys.readouterr().out
    assert code == 1
    assert "refused: 1 name(s)" in out
    assert "\x1b" not in out and "\x07" not in out  # the OSC 52 write is shown, not sent
    assert "../\\x1b]52;c;Y2FuYXJ5\\x07[/]" in out
    assert "'..' segment" in out
    assert files_holding(tmp_path, CANARY) == []


@pytest.mark.slow
@settings(max_examples=15, **FEW)
@given(rels=st.lists(s3_rel, min_size=1, max_size=8, unique=True))
def test_s3_download_of_hostile_keys(s3, tmp_path_factory, rels):
    rels = [*rels, "../CANARY", "../../CANARY", "a/../../CANARY", "/CANARY", "x//CANARY"]
    if not writable_set(rels):
        return
    bucket = fresh_bucket(s3)
    base = tmp_path_factory.mktemp("s3-download")
    dest = sentinel_tree(base)
    bodies = put_keys(s3, bucket, "data", rels)
    before = snapshot(base, skip=dest)

    result = TransferEngine(lambda name: pytest.fail(name), lambda: s3).run(
        TransferSpec(f"s3://{bucket}/data", str(dest), recursive=True)
    )

    assert snapshot(base, skip=dest) == before
    assert files_holding(base, CANARY) == []
    no_canary_command_ran(base)
    # a key ending in "/" is a folder marker: nothing is written for it, nothing refused
    files = [rel for rel in rels if not rel.endswith("/")]
    expected = {os.fsencode(f"data/{clean(rel)}"): bodies[rel] for rel in files if clean(rel)}
    assert tree_files(dest) == expected
    refused = {r.name: r.reason for r in result.refused}
    assert set(refused) == {rel for rel in files if clean(rel) is None}
    assert all(refused.values())
    assert result.files_copied == len(expected)
    assert result.state is TransferState.DONE


def test_a_key_named_dotdot_is_not_copied_into_a_folder_under_that_name(s3, tmp_path):
    bucket = fresh_bucket(s3)
    dest = sentinel_tree(tmp_path)
    s3.put_object(Bucket=bucket, Key="data/..", Body=CANARY)
    before = snapshot(tmp_path, skip=dest)
    engine = TransferEngine(lambda name: pytest.fail(name), lambda: s3)
    with pytest.raises(TransferError, match="cannot be copied into a folder under its name"):
        engine.run(TransferSpec(f"s3://{bucket}/data/..", f"{dest}/"))
    assert snapshot(tmp_path, skip=dest) == before
    assert files_holding(tmp_path, CANARY) == []


# --- this machine -> S3 ---------------------------------------------------------------------


@settings(max_examples=10, **FEW)
@given(
    paths=st.lists(
        host_path.filter(lambda segments: not any(b"\n" in s for s in segments)),  # moto
        min_size=1,
        max_size=6,
    )
)
def test_s3_upload_keys_from_hostile_local_names(s3, tmp_path_factory, paths):
    bucket = fresh_bucket(s3)
    base = tmp_path_factory.mktemp("s3-upload")
    source = base / "src"
    source.mkdir()
    made = make_host_tree(source, paths)
    (base / "secret.txt").write_bytes(SECRET)
    (source / "leak").symlink_to("../secret.txt")

    result = TransferEngine(lambda name: pytest.fail(name), lambda: s3).run(
        TransferSpec(str(source), f"s3://{bucket}/up/", recursive=True)
    )

    keys = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            keys[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    assert SECRET not in keys.values()
    for key in keys:
        assert ".." not in key.split("/") and "" not in key.split("/")
    texts = {}
    for rel, body in made.items():
        try:
            texts[rel.decode("utf-8")] = body
        except UnicodeDecodeError:
            pass
    by_text = {name for name in texts if clean(name) is None}
    assert keys == {f"up/src/{name}": body for name, body in texts.items() if name not in by_text}
    refused = {r.name: r.reason for r in result.refused}
    assert refused.pop("leak") == "a link that leads outside the copied folder"
    not_text = {os.fsdecode(rel) for rel in made} - set(texts)
    assert set(refused) == not_text | by_text
    for name in not_text:
        if clean(name) is not None:  # else the rule refused it first, for its own reason
            assert refused[name] == "a name that is not UTF-8 text cannot be an S3 key"


def test_an_s3_destination_with_a_dotdot_segment_is_refused(s3, tmp_path):
    bucket = fresh_bucket(s3)
    (tmp_path / "model.pt").write_bytes(b"weights")
    engine = TransferEngine(lambda name: pytest.fail(name), lambda: s3)
    with pytest.raises(TransferError, match="'..' segment"):
        engine.run(TransferSpec(str(tmp_path / "model.pt"), f"s3://{bucket}/runs/../x.pt"))
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


# --- a host -> this machine ----------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=10, **FEW)
@given(paths=st.lists(host_path, min_size=1, max_size=8))
def test_host_download_of_hostile_names(ssh_env, user_area, tmp_path_factory, paths):
    host = ssh_env.host("testhost")
    remote = user_subfolder(user_area, ssh_env) / "src"
    remote.mkdir()
    made = make_host_tree(remote, [*paths, (b"planted", b"x")])
    # a link in the copied folder to a private file beside it: never followed
    (remote.parent / "secret.txt").write_bytes(SECRET)
    (remote / "leak").symlink_to("../secret.txt")
    hand_over(remote.parent, ssh_env.material.user)
    base = tmp_path_factory.mktemp("host-download")
    dest = sentinel_tree(base)
    (dest / "src").mkdir()
    (dest / "src" / "planted").symlink_to("../../sub")  # a link here that leads out
    before = snapshot(base, skip=dest)

    result = TransferEngine(lambda name: host).run(
        TransferSpec(f"testhost:{remote}", str(dest), recursive=True)
    )

    assert snapshot(base, skip=dest) == before
    assert files_holding(base, SECRET) == []
    no_canary_command_ran(base, user_area)
    # what the rule refuses by its text alone (a name a host may hold, such as "\\x", that
    # the rule still will not write) is reported too
    by_text = {os.fsdecode(rel) for rel in made if clean(os.fsdecode(rel)) is None}
    arrived = tree_files(dest / "src")
    assert arrived == {
        rel: body
        for rel, body in made.items()
        if not rel.startswith(b"planted/") and os.fsdecode(rel) not in by_text
    }
    refused = {r.name: r.reason for r in result.refused}
    assert refused.pop("planted/x") == "a link on its path leads outside the destination"
    assert set(refused) == by_text


# --- this machine -> a host ----------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=8, **FEW)
@given(paths=st.lists(host_path, min_size=1, max_size=6))
def test_host_upload_of_hostile_names(ssh_env, user_area, tmp_path_factory, paths):
    host = ssh_env.host("testhost")
    base = tmp_path_factory.mktemp("host-upload")
    source = base / "src"
    source.mkdir()
    made = make_host_tree(source, [*paths, (b"planted", b"x")])
    (base / "secret.txt").write_bytes(SECRET)
    (source / "leak").symlink_to("../secret.txt")  # leads out of the copied folder
    (source / "inner").symlink_to("planted/x")  # stays inside: copied as the file
    area = user_subfolder(user_area, ssh_env)
    dest = area / "dest"
    host.makedirs(f"{dest}/src")
    (area / "outside").mkdir()
    (area / "outside" / "kept.txt").write_bytes(b"sentinel on the host\n")
    hand_over(area, ssh_env.material.user)
    # the host's own link in the destination, to a folder outside it
    assert host.run(["ln", "-s", "--", f"{area}/outside", f"{dest}/src/planted"]).ok
    before = snapshot(area, skip=dest)

    result = TransferEngine(lambda name: host).run(
        TransferSpec(str(source), f"testhost:{dest}", recursive=True)
    )

    assert snapshot(area, skip=dest) == before
    assert files_holding(area, SECRET) == []
    no_canary_command_ran(area, base)
    by_text = {os.fsdecode(rel) for rel in made if clean(os.fsdecode(rel)) is None}
    expected = {
        rel: body
        for rel, body in made.items()
        if not rel.startswith(b"planted/") and os.fsdecode(rel) not in by_text
    }
    expected[b"inner"] = made[b"planted/x"]
    assert tree_files(dest / "src") == expected
    refused = {r.name: r.reason for r in result.refused}
    assert refused.pop("leak") == "a link that leads outside the copied folder"
    assert refused.pop("planted/x") == "a link on its path leads outside the destination"
    assert set(refused) == by_text


# --- S3 <-> a host, as a job ---------------------------------------------------------------


def wait_for_job(jobs, job_id: str):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job.status.finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"the job {job_id} did not finish")


def aws_cli(endpoint: str) -> tuple[str, ...]:
    return (os.path.join(os.path.dirname(sys.executable), "aws"), "--endpoint-url", endpoint)


@pytest.mark.slow
@settings(max_examples=4, **FEW)
@given(rels=st.lists(s3_rel, min_size=1, max_size=6, unique=True))
@example(rels=["-", "-/"])  # a refused key starting with "-": its --exclude is not an option
def test_s3_to_host_job_leaves_refused_keys_out(s3, aws_endpoint, local_host, local_jobs, rels):
    rels = [*rels, "../CANARY", "../../CANARY", "x//CANARY", "planted/CANARY", "marker/", ""]
    if not writable_set(rels):
        return
    bucket = fresh_bucket(s3)
    home = Path(local_host.home())
    base = Path(tempfile.mkdtemp(dir=home))
    dest = sentinel_tree(base)
    (dest / "planted").symlink_to("../sub")  # on the host, in the destination, leading out
    bodies = put_keys(s3, bucket, "data", rels)
    before = snapshot(base, skip=dest)
    engine = TransferEngine(
        lambda name: {"box": local_host}[name],
        lambda: s3,
        jobs_for=lambda host: local_jobs,
        aws_cli=aws_cli(aws_endpoint),
    )

    result = engine.run(TransferSpec(f"s3://{bucket}/data", f"box:{dest}", recursive=True))

    refused = {r.name: r.reason for r in result.refused}
    # folder markers ("x/", and "data/" itself) are left out: nothing to write for them
    files = [rel for rel in rels if rel and not rel.endswith("/")]
    assert set(refused) == {rel for rel in files if clean(rel) is None} | {"planted/CANARY"}
    assert refused["planted/CANARY"] == "a link on its path leads outside the destination"
    if all(rel in refused for rel in files):
        assert result.job_id is None  # nothing left to copy: no job was started
    else:
        job = wait_for_job(local_jobs, result.job_id)
        log = Path(job.log_path).read_bytes().decode(errors="replace")
        assert job.status.exit_code == 0, log
    assert snapshot(base, skip=dest) == before
    assert files_holding(base, CANARY) == []
    no_canary_command_ran(base)
    expected = {os.fsencode(clean(rel)): bodies[rel] for rel in files if rel not in refused}
    assert tree_files(dest) == expected


def test_host_to_s3_job_does_not_follow_a_link_out(s3, aws_endpoint, local_host, local_jobs):
    bucket = fresh_bucket(s3)
    home = Path(local_host.home())
    (home / "secret.txt").write_bytes(SECRET)
    (home / "run").mkdir()
    (home / "run" / "model.pt").write_bytes(b"weights")
    (home / "run" / "-rf").write_bytes(b"a file named like an option")
    (home / "run" / "leak").symlink_to("../secret.txt")
    engine = TransferEngine(
        lambda name: {"box": local_host}[name],
        lambda: s3,
        jobs_for=lambda host: local_jobs,
        aws_cli=aws_cli(aws_endpoint),
    )

    result = engine.run(TransferSpec("box:run", f"s3://{bucket}/runs/", recursive=True))

    job = wait_for_job(local_jobs, result.job_id)
    assert job.status.exit_code == 0, Path(job.log_path).read_text(errors="replace")
    objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in objects) == ["runs/-rf", "runs/model.pt"]


# --- counts -------------------------------------------------------------------------------


def walk_counts(root: Path) -> tuple[int, int, int]:
    """(files, dirs, symlinks) under ``root``, links not followed: the truth to compare."""
    files = dirs = links = 0
    for directory, subdirs, names in os.walk(os.fsencode(root)):
        for name in subdirs + names:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                links += 1
            elif os.path.isdir(path):
                dirs += 1
            else:
                files += 1
    return files, dirs, links


class HostWithoutPython(SshHost):
    """The test sshd's user as a host without ``python3``: every command runs with a PATH
    that holds ``find`` and ``test`` only, in a folder that plays the home (so a relative
    path means a path in it, as on a real host)."""

    def __init__(self, *args, bin_dir: str, home: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._bin_dir = bin_dir
        self._fake_home = home

    def home(self) -> str:
        return self._fake_home

    def run(self, argv, *, timeout=60.0, cwd=None, env=None, stdin=None):
        env = {**(env or {}), "PATH": self._bin_dir}
        return super().run(argv, timeout=timeout, cwd=cwd or self._fake_home, env=env, stdin=stdin)

    def stream(self, argv, *, cancel=None, cwd=None, env=None):
        env = {**(env or {}), "PATH": self._bin_dir}
        return super().stream(argv, cancel=cancel, cwd=cwd or self._fake_home, env=env)


@pytest.fixture
def host_without_python(ssh_env, user_area) -> HostWithoutPython:
    bin_dir = user_area / "bin"
    bin_dir.mkdir()
    for tool in ("find", "test"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    home = user_area / "home"
    home.mkdir()
    hand_over(user_area, ssh_env.material.user)
    pool = ConnectionPool()
    ssh_env.pools.append(pool)
    return HostWithoutPython(
        "testhost",
        config_path=str(ssh_env.config_path),
        known_hosts_path=str(ssh_env.known_hosts_path),
        pool=pool,
        bin_dir=str(bin_dir),
        home=str(home),
    )


def sentinel_home(home: Path, user: str) -> None:
    (home / "keep").mkdir()
    (home / "keep" / "notes.txt").write_bytes(b"sentinel in the home\n")
    (home / "keep" / "-delete").write_bytes(b"a file named -delete\n")
    (home / ".bashrc").write_bytes(b"# sentinel\n")
    hand_over(home, user)


def test_count_of_a_root_named_delete_without_python_deletes_nothing(
    ssh_env, host_without_python, services_for
):
    """``awsconsole count HOST:-delete -r`` where the host has no python3: once ran
    ``find -H -delete …`` in the home."""
    home = Path(host_without_python.home())
    sentinel_home(home, ssh_env.material.user)
    before = snapshot(home)
    assert host_without_python.run(["python3", "-c", "print(1)"]).exit_code == 127

    class Hosts:
        def host_for(self, target):
            assert target == "testhost"
            return host_without_python

        def close_all(self):
            pass

    with pytest.raises(CountError, match="no such directory"):
        run_command(count_command, ["count", "testhost:-delete", "-r"], services_for(Hosts()))
    for name in ("-delete", "-exec", "--help", "-fprint"):
        with pytest.raises(CountError):
            count_on_host(host_without_python, name, CountOptions(recursive=True))
        # with python3 the helper takes the root after "--": a name, never an option
        with pytest.raises(CountError, match="No such file"):
            count_on_host(ssh_env.host("testhost"), name, CountOptions(recursive=True))

    assert snapshot(home) == before


@pytest.mark.slow
@settings(max_examples=6, **FEW)
@given(paths=st.lists(host_path, min_size=1, max_size=8), root_name=host_segment)
def test_counts_of_hostile_trees_equal_the_file_system(
    ssh_env, user_area, host_without_python, tmp_path_factory, paths, root_name
):
    area = user_subfolder(user_area, ssh_env)
    root = Path(os.fsdecode(os.path.join(os.fsencode(area), root_name)))
    root.mkdir()
    make_host_tree(root, paths)
    (root / "link-out").symlink_to("/etc")
    (root / "loop").symlink_to(".")
    hand_over(area, ssh_env.material.user)
    truth = walk_counts(root)
    before = snapshot(area)
    options = CountOptions(recursive=True)

    here = count_local(str(root), options)
    over_ssh = count_on_host(ssh_env.host("testhost"), str(root), options)
    with_find = count_on_host(host_without_python, str(root), options)
    # a relative root in the (fake) home: the find fallback gets it as ./NAME
    relative = os.path.relpath(root, host_without_python.home())
    relative_find = count_on_host(host_without_python, relative, options)

    assert over_ssh.method == "scandir" and with_find.method == "find"
    for count in (here, over_ssh, with_find, relative_find):
        assert (count.files, count.dirs, count.symlinks) == truth, count
    assert snapshot(area) == before
    no_canary_command_ran(area)


@settings(max_examples=10, **FEW)
@given(rels=st.lists(s3_rel, min_size=1, max_size=8, unique=True))
def test_s3_counts_of_hostile_keys(s3, rels):
    bucket = fresh_bucket(s3)
    put_keys(s3, bucket, "data", rels)
    count = count_s3_prefix(s3, bucket, "data", CountOptions(recursive=True, with_paths=True))
    files = {rel for rel in rels if not rel.endswith("/")}  # the others are folder markers
    assert count.files == len(files)
    assert count.paths == frozenset(files)
    assert count.bytes == sum(len(f"key {rel!r}".encode()) for rel in files if clean(rel)) + sum(
        len(CANARY) for rel in files if clean(rel) is None
    )


# --- mounts -------------------------------------------------------------------------------

MOUNTPOINT_NAMES = [
    "-o allow_other,uid=0",
    "--help",
    "a b\nc",
    "$(touch canary)",
    "`touch canary`",
    "[@click=app.quit]x [b]",
    "x,y;z|w&",
    "\x1b[2J",
    "é\u202e",
    "\udcff\udc80",
]
PREFIX_NAMES = ["pre fix", "-o,ro", "$(touch canary)", "[b]x[/b]", "a/b c", "é", "--prefix"]


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.skipif(shutil.which("s3fs") is None, reason="s3fs is not installed")
@pytest.mark.skipif(not os.path.exists("/dev/fuse"), reason="no /dev/fuse")
@settings(max_examples=5, **FEW)
@given(point_name=st.sampled_from(MOUNTPOINT_NAMES), prefix=st.sampled_from(PREFIX_NAMES))
@example(point_name="\udcff\udc80", prefix="-o,ro")
@example(point_name="-o allow_other,uid=0", prefix="$(touch canary)")
@example(point_name="a b\nc", prefix="--prefix")
def test_mount_with_hostile_mountpoint_and_prefix(
    s3, aws_endpoint, tmp_path_factory, point_name, prefix
):
    bucket = fresh_bucket(s3)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/shirt.txt", Body=b"a blue shirt\n")
    base = tmp_path_factory.mktemp("mount")
    host = LocalHost("box", home=base / "home")
    (base / "home").mkdir()
    point = os.path.join(str(base), point_name)
    os.mkdir(point)
    before = snapshot(base / "home")
    try:
        entry = mount(
            host,
            f"s3://{bucket}/{prefix}",
            point,
            Credentials("testing", "testing"),
            MountOptions(endpoint_url=aws_endpoint),
        )
        assert entry.mountpoint == point
        assert os.listdir(point) == ["shirt.txt"]
        with open(os.path.join(point, "shirt.txt"), "rb") as handle:
            assert handle.read() == b"a blue shirt\n"
        [listed] = [m for m in list_mounts(host) if m.mountpoint == point]
        assert listed.url == f"s3://{bucket}/{prefix}"
        unmount(host, point)
        assert point not in [m.mountpoint for m in list_mounts(host)]
    finally:
        if point in [m.mountpoint for m in list_mounts(host)]:
            subprocess.run(["fusermount3", "-u", "--", point], capture_output=True, check=False)
    assert os.listdir(point) == []
    assert sorted(os.listdir(base)) == sorted(["home", os.path.basename(point)])
    no_canary_command_ran(base)
    home_now = {k: v for k, v in snapshot(base / "home").items() if b".cache" not in k}
    assert home_now == {k: v for k, v in before.items() if b".cache" not in k}


def test_a_bucket_that_reads_as_an_option_is_refused(tmp_path):
    from console.errors import MountError
    from console.files.mount import parse_s3_url

    for url in ("s3://-o/x", "s3://--help", "s3://.x", "s3://a b"):
        with pytest.raises(MountError, match="not a bucket name"):
            parse_s3_url(url)


def test_an_s3fs_option_value_with_a_comma_is_refused(tmp_path):
    from console.errors import MountError
    from console.files.mount import s3fs_argv

    with pytest.raises(MountError, match="up to a comma"):
        s3fs_argv(
            "bucket", "", "/mnt/x", MountOptions(cache_dir="/tmp/c,allow_other"), passwd_file="/p"
        )


# --- Host.realpath -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["local", "ssh"])
def test_a_host_resolves_links_and_keeps_missing_parts(kind, ssh_env, user_area):
    area = user_subfolder(user_area, ssh_env)
    (area / "dest" / "real").mkdir(parents=True)
    (area / "outside").mkdir()
    (area / "dest" / "out").symlink_to("../outside")
    (area / "dest" / "dangling").symlink_to("../outside/later/deeper")
    (area / "dest" / "hop").symlink_to("out")
    (area / "dest" / "\udcffname").mkdir()
    hand_over(area, ssh_env.material.user)
    host = LocalHost("box") if kind == "local" else ssh_env.host("testhost")
    dest = f"{area}/dest"

    assert host.realpath(f"{dest}/real/x") == f"{dest}/real/x"
    assert host.realpath(f"{dest}/out/new/x") == f"{area}/outside/new/x"
    assert host.realpath(f"{dest}/hop/x") == f"{area}/outside/x"
    assert host.realpath(f"{dest}/dangling/x") == f"{area}/outside/later/deeper/x"
    assert host.realpath(f"{dest}/missing/../real") == f"{dest}/real"
    if kind == "local":
        assert host.realpath(f"{dest}/\udcffname/x") == f"{dest}/\udcffname/x"
    else:  # SFTP answers with text: a folder that is not UTF-8 is one clear error
        with pytest.raises(RemoteFileError, match="not UTF-8"):
            host.realpath(f"{dest}/\udcffname/x")


# --- the lock of a big copy -------------------------------------------------------------


def test_a_lock_folder_of_another_user_stops_a_big_copy_with_one_line(
    ssh_env, user_area, services_for, tmp_path, monkeypatch, capsys
):
    """``awsconsole cp BIG HOST:DIR/`` whose lock folder someone else owns: one clear line
    (as ``awsconsole`` prints it), no traceback, nothing written on the host."""
    from console.cli import report
    from console.files.transfer.resume import PrivateFolderError

    state = tmp_path / "state"
    folder = state / "awsconsole" / "transfers"
    folder.mkdir(parents=True, mode=0o700)
    nobody = pwd.getpwnam("nobody")
    os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))  # over SMALL_FILE: the resumable path
    dest = user_subfolder(user_area, ssh_env)

    with pytest.raises(PrivateFolderError) as caught:
        run_command(cp_command, ["cp", str(big), f"testhost:{dest}/"], services_for())

    report(caught.value)
    title, *rest = capsys.readouterr().err.splitlines()
    assert title.startswith("Transfer state: ") and "belongs to another user" in title
    assert str(folder) in title
    assert "Traceback" not in "\n".join(rest)
    assert os.listdir(dest) == []  # not even a partial file
    assert os.listdir(folder) == []
