"""How many ssh streams a big file gets, and the resume journal's rules (pure parts)."""

from __future__ import annotations

import hashlib
import os
import posixpath
import threading

import pytest

from console.files.transfer import resume as transfer_resume
from console.files.transfer import ssh_streams as transfer_ssh
from console.files.transfer.resume import (
    Journal,
    LocalJournalFile,
    exclusive,
    part_name,
    resumable_ranges,
    resume_key,
)
from console.files.transfer.ssh_streams import (
    FALLBACK_STREAMS,
    MAX_STREAMS,
    MIN_STREAM_BYTES,
    TransferError,
    choose_streams,
)

MIB = 1024 * 1024
GIB = 1024 * MIB


# --- choosing the stream count -------------------------------------------------------------


@pytest.mark.parametrize("rtt", [None, 0.0001, 0.05, 0.3])
def test_a_file_too_small_to_split_gets_one_stream(rtt):
    assert choose_streams(MIN_STREAM_BYTES * 2 - 1, rtt, cores=8) == 1
    assert choose_streams(10 * MIB, rtt, cores=8) == 1


def test_a_short_round_trip_uses_the_cores_not_more():
    assert choose_streams(GIB, 0.0001, cores=1) == 1
    assert choose_streams(GIB, 0.0001, cores=2) == 2
    assert choose_streams(GIB, 0.0001, cores=64) == transfer_ssh.LOW_RTT_STREAMS


def test_a_long_round_trip_gets_enough_streams_to_fill_the_window():
    # 200 MiB/s over 50 ms needs 10 MiB in flight: five 2 MiB windows
    assert choose_streams(GIB, 0.05, cores=2) == 5
    assert choose_streams(GIB, 0.02, cores=2) == 2
    assert choose_streams(GIB, 0.1, cores=2) == 10


def test_more_round_trip_never_means_fewer_streams():
    counts = [choose_streams(GIB, rtt / 1000, cores=2) for rtt in range(0, 400, 5)]
    assert counts == sorted(counts)
    assert max(counts) == MAX_STREAMS


def test_the_file_size_caps_the_streams():
    # each stream carries at least MIN_STREAM_BYTES
    assert choose_streams(3 * MIN_STREAM_BYTES, 0.2, cores=2) == 3


def test_an_unmeasured_round_trip_falls_back():
    assert choose_streams(GIB, None, cores=2) == FALLBACK_STREAMS


def test_the_chosen_count_splits_the_file_into_that_many_ranges():
    for size, rtt in [(GIB, 0.05), (100 * MIB, 0.0001), (40 * MIB, 0.2)]:
        streams = choose_streams(size, rtt, cores=2)
        assert len(transfer_ssh.split_ranges(size, streams)) == streams


# --- resume names and journals ---------------------------------------------------------------


def test_the_partial_name_follows_the_source_version():
    one = resume_key("upload", "/data/x.bin", 100, 1700000000.5)
    assert one == resume_key("upload", "/data/x.bin", 100, 1700000000.5)
    assert one != resume_key("upload", "/data/x.bin", 100, 1700000001.5)  # touched
    assert one != resume_key("upload", "/data/x.bin", 101, 1700000000.5)  # resized
    assert one != resume_key("upload", "/data/y.bin", 100, 1700000000.5)
    name = part_name(posixpath, "/srv/a b/model.pt", one)
    assert name == f"/srv/a b/.model.pt.awsc-part-{one}"


@pytest.mark.parametrize(
    "ranges",
    [
        ((0, 10, 0), (10, 10, 11)),  # more arrived than the range holds
        ((0, 10, 5), (11, 9, 0)),  # a gap
        ((0, 10, 5),),  # does not reach the size
        (),
    ],
)
def test_an_inconsistent_journal_is_not_trusted(ranges):
    data = Journal("k", 20, ranges).to_bytes()
    assert Journal.from_bytes(data) is None


def test_a_journal_reads_back_and_torn_ones_do_not():
    journal = Journal("k", 20, ((0, 10, 4), (10, 10, 10)))
    data = journal.to_bytes()
    assert Journal.from_bytes(data) == journal and journal.arrived == 14
    assert Journal.from_bytes(data[: len(data) // 2]) is None
    assert Journal.from_bytes(b"") is None


def hashes(data: bytes):
    def hash_spans(spans):
        return [hashlib.sha256(data[s : s + n]).hexdigest() for s, n in spans]

    return hash_spans


def test_resume_keeps_checked_prefixes_and_restarts_a_range_that_differs(tmp_path):
    source = os.urandom(40)
    partial = bytearray(source[:8] + bytes(12) + source[20:35] + bytes(5))
    partial[22] ^= 0xFF  # the second range's prefix got damaged
    store = LocalJournalFile(str(tmp_path / "j"))
    store.write(Journal("k", 40, ((0, 20, 8), (20, 20, 15))).to_bytes())

    ranges = resumable_ranges(store, "k", 40, hashes(bytes(partial)), hashes(source))

    assert ranges == [(0, 20, 8), (20, 20, 0)]


def test_resume_ignores_a_journal_of_another_version(tmp_path):
    store = LocalJournalFile(str(tmp_path / "j"))
    store.write(Journal("old", 40, ((0, 40, 30),)).to_bytes())
    same = hashes(bytes(40))
    assert resumable_ranges(store, "new", 40, same, same) is None
    assert resumable_ranges(store, "old", 41, same, same) is None
    assert resumable_ranges(LocalJournalFile(str(tmp_path / "none")), "old", 40, same, same) is None


def test_a_second_copy_of_the_same_partial_is_refused():
    with exclusive("box:/srv/.x.awsc-part-1"):
        with pytest.raises(TransferError, match="Another copy is writing"):
            with exclusive("box:/srv/.x.awsc-part-1"):
                pass
        with exclusive("box:/srv/.x.awsc-part-2"):  # another file: no conflict
            pass
    with exclusive("box:/srv/.x.awsc-part-1"):  # released
        pass


# --- the private folder of locks and download journals -----------------------------------


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    """The platform's state folder moved into the test's own folder (XDG_STATE_HOME)."""
    home = tmp_path / "state"
    home.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home / "awsconsole" / transfer_resume.STATE_FOLDER


def someone_else() -> tuple[int, int]:
    if os.geteuid() != 0:
        pytest.skip("handing a file to another user needs root")
    import pwd

    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def test_locks_live_in_a_private_folder_not_in_tmp(state_home):
    with exclusive("box:/srv/.x.awsc-part-1"):
        [lock] = os.listdir(state_home)
    assert lock.endswith(".lock")
    assert os.stat(state_home).st_mode & 0o777 == 0o700
    assert os.stat(state_home / lock).st_mode & 0o777 == 0o600
    assert os.stat(state_home).st_uid == os.getuid()


def test_a_download_journal_lives_in_the_private_folder(state_home, tmp_path):
    partial = tmp_path / "dest" / ".big.bin.awsc-part-0123"
    path = transfer_resume.local_journal_path(str(partial))
    assert os.path.dirname(path) == str(state_home)
    store = LocalJournalFile(path)
    store.write(Journal("k", 10, ((0, 10, 4),)).to_bytes())
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.listdir(state_home) == [os.path.basename(path)]  # no temporary name left
    assert Journal.from_bytes(store.read()).arrived == 4


def test_a_private_folder_of_another_user_is_refused_in_one_line(state_home):
    uid, gid = someone_else()
    state_home.mkdir(parents=True, mode=0o700)
    os.chown(state_home, uid, gid)
    with pytest.raises(transfer_resume.PrivateFolderError) as caught:
        with exclusive("box:/srv/.x.awsc-part-1"):
            pytest.fail("a lock was taken in another user's folder")
    message = caught.value.message  # the one line; the hint says what to do
    assert "belongs to another user" in message and str(state_home) in message
    assert "\n" not in message
    assert os.listdir(state_home) == []  # nothing was created there


@pytest.mark.parametrize("mode", [0o770, 0o703, 0o777])
def test_a_private_folder_others_may_write_is_refused(state_home, mode):
    state_home.mkdir(parents=True)
    os.chmod(state_home, mode)
    with pytest.raises(transfer_resume.PrivateFolderError, match="written by other users"):
        with exclusive("box:/srv/.x.awsc-part-1"):
            pytest.fail("a lock was taken in a folder others may write")
    assert os.listdir(state_home) == []


def test_a_private_folder_others_may_only_read_is_closed(state_home):
    state_home.mkdir(parents=True)
    os.chmod(state_home, 0o755)
    with exclusive("box:/srv/.x.awsc-part-1"):
        pass
    assert os.stat(state_home).st_mode & 0o777 == 0o700


def test_a_link_in_place_of_the_private_folder_is_refused(state_home, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    state_home.parent.mkdir(parents=True)
    state_home.symlink_to(elsewhere)
    with pytest.raises(transfer_resume.PrivateFolderError, match="not a folder but a link"):
        with exclusive("box:/srv/.x.awsc-part-1"):
            pytest.fail("a lock was taken through a link")
    assert os.listdir(elsewhere) == []


def test_a_lock_file_of_another_user_is_refused_in_one_line(state_home):
    uid, gid = someone_else()
    with exclusive("box:/srv/.x.awsc-part-1"):
        [lock] = os.listdir(state_home)
    os.chown(state_home / lock, uid, gid)
    with pytest.raises(transfer_resume.PrivateFolderError) as caught:
        with exclusive("box:/srv/.x.awsc-part-1"):
            pytest.fail("another user's lock was taken")
    assert "belongs to another user" in caught.value.message
    assert "\n" not in caught.value.message


def test_a_link_planted_as_a_lock_or_journal_is_not_followed(state_home, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    with exclusive("box:/srv/.x.awsc-part-1"):
        [lock] = os.listdir(state_home)
    os.remove(state_home / lock)
    os.symlink(victim, state_home / lock)
    with pytest.raises(transfer_resume.PrivateFolderError, match="Cannot open the lock"):
        with exclusive("box:/srv/.x.awsc-part-1"):
            pytest.fail("a lock was taken through a link")
    journal = transfer_resume.local_journal_path(str(tmp_path / ".a.awsc-part-1"))
    os.symlink(victim, journal)
    store = LocalJournalFile(journal)
    assert store.read() is None  # a link is not a journal
    store.write(Journal("k", 10, ((0, 10, 4),)).to_bytes())  # replaces the link
    assert victim.read_bytes() == b"precious\n"
    assert not os.path.islink(journal)


def test_the_journal_writer_records_what_arrived_and_never_more(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer_resume, "JOURNAL_INTERVAL", 0.01)
    store = LocalJournalFile(str(tmp_path / "j"))
    piece = transfer_ssh._Range(0, 100, done=10)
    piece.pending = 30
    writer = transfer_resume.JournalWriter(
        store, "k", 100, lambda: [(piece.offset, piece.length, piece.confirmed)]
    ).start()
    writer.stop()
    assert Journal.from_bytes(store.read()).ranges == ((0, 100, 40),)
    piece.pending = 500  # an ack past the range's end is clipped
    writer.flush()
    assert Journal.from_bytes(store.read()).ranges == ((0, 100, 100),)


def test_run_ranges_starts_a_resumed_range_where_it_stopped():
    seen = []

    def attempt(piece):
        seen.append((piece.offset, piece.done))
        piece.done = piece.length

    control = transfer_ssh.Control(threading.Event(), threading.Event(), lambda n: None)
    control.resume.set()
    transfer_ssh.run_ranges([(0, 50, 20), (50, 50, 50)], attempt, control, "test")
    assert seen == [(0, 20)]  # the finished range was not carried again


# --- the override: flag, engine, settings ------------------------------------------------------


def cp_args(*argv):
    import argparse

    from console.commands import cp as cp_command

    parser = argparse.ArgumentParser()
    cp_command.register(parser.add_subparsers())
    return parser.parse_args(["cp", *argv])


def test_cp_streams_flag_is_checked(capsys):
    assert cp_args("a", "b").streams is None  # automatic
    assert cp_args("a", "b", "--streams", "3").streams == 3
    for bad in ["0", "17", "many"]:
        with pytest.raises(SystemExit):
            cp_args("a", "b", "--streams", bad)
        assert "--streams takes" in capsys.readouterr().err


def test_engine_for_takes_a_fixed_count_from_the_settings(tmp_path):
    from types import SimpleNamespace

    from console.files.transfer.engine import engine_for
    from console.settings import Settings

    def services(config: str):
        path = tmp_path / "config.toml"
        path.write_text(config)
        return SimpleNamespace(
            ready=lambda: None,
            settings=Settings.load(path, environ={}),
            hosts=SimpleNamespace(host_for=lambda name: None),
            s3=None,
        )

    assert engine_for(services("[transfer]\nstreams = 3\n")).streams == 3
    assert engine_for(services("")).streams is None  # nothing configured: automatic


def test_streams_in_the_config_file_fix_the_count_or_leave_it_automatic(tmp_path):
    from console.errors import ConfigError
    from console.settings import Settings

    def streams(text: str) -> int | None:
        path = tmp_path / "config.toml"
        path.write_text(text)
        return Settings.load(path, environ={}).transfer.streams

    assert streams("") is None
    assert streams('[transfer]\nstreams = "auto"\n') is None
    assert streams("[transfer]\nstreams = 6\n") == 6
    for bad in ("0", "17", "true", '"many"', "2.5"):
        with pytest.raises(ConfigError, match=r"\[transfer\] streams"):
            streams(f"[transfer]\nstreams = {bad}\n")
