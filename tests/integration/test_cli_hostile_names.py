"""What the CLI prints cannot drive the terminal: ``instances`` against moto's server and
``jobs`` / ``logs`` against real tmux, with names and output lines that are markup, escape
sequences (OSC 52 clipboard writes, screen clears), C1 controls and bidi overrides. The
table shows each one visibly on its own line; ``--json`` gives back the exact text; an
error quoting a name shows it the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from console.cli import main
from console.format.terminal import visible
from console.models import JobSpec
from tests.fixtures.moto_server import launch

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
#: the ``awsconsole`` entry point, run as its own process
ENTRY = "import sys, console.cli as cli; sys.exit(cli.main(sys.argv[1:]))"

#: what a terminal may obey, as bytes of UTF-8 output: ESC, C0 but tab/newline, DEL, C1
#: (encoded as C2 80-9F), and the bidi overrides and line separators
FORBIDDEN = [bytes([c]) for c in range(0x20) if c not in (0x09, 0x0A)] + [b"\x7f"]
FORBIDDEN += [bytes([0xC2, c]) for c in range(0x80, 0xA0)]
FORBIDDEN += [ch.encode() for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028"]


def obeyable(output: bytes) -> list[bytes]:
    return [b for b in FORBIDDEN if b in output]


# -- instances (EC2 through moto's server) ---------------------------------------------------

#: Name tags EC2's XML can carry (it has no way to send ESC or other C0 controls)
EC2_NAMES = [
    "[/]prod",
    "[bold red]x[/]",
    "[link=file:///etc/passwd]a[/link]",
    "a\x9b2Jb\x7f",  # C1 CSI: a screen clear to an 8-bit terminal
    "\u202eevil",
]


@pytest.mark.slow
def test_instances_table_shows_names_and_obeys_none(aws_endpoint, capsysbinary):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
    for name in EC2_NAMES:
        launch(ec2, name)
    args = ["--endpoint-url", aws_endpoint, "--region", "us-east-1", "instances"]

    assert main(args) == 0
    table = capsysbinary.readouterr().out
    assert obeyable(table) == []
    text = table.decode("utf-8")
    assert len(text.splitlines()) == 1 + len(EC2_NAMES)  # one line per instance
    for name in EC2_NAMES:
        assert visible(name) in text

    assert main([*args, "--json"]) == 0
    printed = capsysbinary.readouterr().out
    assert obeyable(printed) == []
    assert sorted(record["name"] for record in json.loads(printed)) == sorted(EC2_NAMES)


# -- jobs and logs (real tmux, a sandboxed home) -----------------------------------------------

OSC52 = "\x1b]52;c;aGk=\x07"  # set the clipboard
CLEAR = "\x1b[2J"  # clear the screen
NAME = f"[/] x {OSC52} \x9b2J"
#: the job's output: a clipboard write, a screen clear, a colour, markup and a reset
LAST_LINE = "\x1b]52;c;aGk=\x07\x1b[2J\x1b[31mred\x1b[0m [/] x \x1bc"
PRINT_IT = "import sys; sys.stdout.write(sys.argv[1] + '\\n')"


@pytest.fixture
def cli(local_home, tmux_socket, tmp_path):
    """``awsconsole ARGS…`` as a separate process (HOME = the sandbox, jobs on the test's
    tmux socket); returns the process with its output as bytes."""
    config = tmp_path / "config.toml"
    config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSCONSOLE_")}
    env["HOME"] = str(local_home)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        argv = [sys.executable, "-c", ENTRY, "--config", str(config), *args]
        return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, timeout=120)

    return run


@pytest.fixture
def hostile_job(local_jobs):
    job = local_jobs.start(JobSpec(command=("python3", "-c", PRINT_IT, LAST_LINE), name=NAME))
    deadline = time.monotonic() + 60
    while not local_jobs.get(job.id).status.finished:
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)
    return local_jobs.get(job.id)


def test_jobs_table_shows_the_name_and_last_line_and_obeys_none(cli, hostile_job):
    assert hostile_job.last_line == LAST_LINE  # what the host holds, to the byte

    listed = cli("jobs")
    assert listed.returncode == 0, listed.stderr
    assert obeyable(listed.stdout) == []
    table = listed.stdout.decode("utf-8")
    assert visible(NAME) in table
    # colours are left out of a plain table; the rest of the line is shown, not obeyed
    assert "\\x1b]52;c;aGk=\\x07\\x1b[2Jred [/] x \\x1bc" in table

    as_json = cli("jobs", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert obeyable(as_json.stdout) == []
    (record,) = json.loads(as_json.stdout)
    assert (record["name"], record["last_line"]) == (NAME, LAST_LINE)


def test_an_error_quoting_a_name_obeys_none(cli, tmp_path):
    """A path named by someone else (an archive's folder, a key) in an error message."""
    gone = tmp_path / f"gone{OSC52}{CLEAR}"
    failed = cli("count", str(gone))
    assert failed.returncode == 2
    assert obeyable(failed.stderr) == []
    assert f"Cannot count {visible(str(gone))}" in failed.stderr.decode("utf-8")


def test_a_compare_listing_shows_hostile_file_names_and_obeys_none(cli, tmp_path):
    """``count --compare --by-path`` lists the missing and extra files by name: names that
    someone else chose, printed through the guard every command's output passes."""
    reference, other = tmp_path / "reference", tmp_path / "other"
    reference.mkdir()
    other.mkdir()
    missing, extra = f"gone{OSC52}.jpg", f"new{CLEAR}\x9b2J.jpg"
    (reference / missing).write_bytes(b"x")
    (other / extra).write_bytes(b"y")

    compared = cli("count", "--compare", "--by-path", "-r", str(reference), str(other))

    assert obeyable(compared.stdout) == [], compared.stdout
    listing = compared.stdout.decode("utf-8")
    assert visible(missing) in listing and visible(extra) in listing


def test_logs_on_a_terminal_keep_colours_and_show_other_controls(cli_on_terminal, hostile_job):
    """``logs`` on a terminal: the colour and the line pass, the clipboard write, the screen
    clear and the reset are shown; into a pipe the bytes are the job's own."""
    shown = cli_on_terminal("logs", hostile_job.id)
    assert b"\x1b[31mred\x1b[0m" in shown  # a colour is a colour
    assert b"\x1b]52" not in shown and b"\x1b[2J" not in shown and b"\x1bc" not in shown
    assert b"\\x1b]52;c;aGk=\\x07\\x1b[2J" in shown and b"\\x1bc" in shown

    raw = cli_on_terminal("logs", "--raw", hostile_job.id)
    assert LAST_LINE.encode() in raw


def test_logs_into_a_pipe_are_the_jobs_bytes(cli, hostile_job):
    piped = cli("logs", hostile_job.id)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == (LAST_LINE + "\n").encode()


@pytest.fixture
def cli_on_terminal(local_home, tmux_socket, tmp_path):
    """``awsconsole ARGS…`` with a pseudo-terminal as its standard output; returns what it
    wrote there (the terminal turns each newline into CR LF on the way)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSCONSOLE_")}
    env["HOME"] = str(local_home)

    def run(*args: str) -> bytes:
        main_end, terminal_end = os.openpty()
        argv = [sys.executable, "-c", ENTRY, "--config", str(config), *args]
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=terminal_end)
        os.close(terminal_end)
        output = b""
        while True:
            try:
                data = os.read(main_end, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not data:
                break
            output += data
        os.close(main_end)
        assert process.wait(timeout=120) == 0
        return output

    return run
