"""Hostile names, folders, commands and values run exactly as typed, here and over SSH."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.errors import RemoteFileError
from console.jobs.folder import free_name
from console.models import JobSpec, JobState
from tests.integration.test_jobs import wait_finished, wait_until

# Prints what the job received, as ASCII JSON (safe to read back from the log).
REPORT = (
    "import json, os, sys\n"
    "print(json.dumps({'argv': sys.argv[1:], 'cwd': os.getcwd(), 'env': os.environ['HOSTILE']}))\n"
)


def hostile_strings(canary: str) -> list[str]:
    return [
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"; touch {canary}",
        f"' ; touch {canary} ; '",
        f'" ; touch {canary} ; "',
        f"&& touch {canary} #",
        f"| touch {canary}",
        f"\ntouch {canary}\n",
        "touch CANARY",
        "it's",
        'say "hi"',
        "  two  spaces  ",
        "ünïcødé ✓ 训练",
        "$HOME ${PATH} %s %n \\ \\\\",
        "*",
        "-n",
        "--",
        "",
        "tab\there",
        "#{session_name}",
        "C-c",
    ]


def test_hostile_text_runs_exactly_as_typed(any_jobs):
    manager = any_jobs
    host = manager.host
    canary = f"{manager.jobs_root}/CANARY"
    hostile = hostile_strings(canary)
    cwd_name = f'we\'ird $(touch {canary}); "dir"\nü ✓'
    host.makedirs(f"{manager.jobs_root}/{cwd_name}")
    name = f"my job's $(touch {canary}); `x` \n ü"
    spec = JobSpec(
        command=("python3", "-c", REPORT, *hostile),
        name=name,
        cwd=f"{manager.jobs_root}/{cwd_name}",
        env=(("HOSTILE", f"$(touch {canary}) ' \" ; \n ü"),),
    )

    job = manager.start(spec)
    done = wait_finished(manager, job.id)

    assert done.status.exit_code == 0, host.read_range(done.log_path)
    report = json.loads(host.read_range(done.log_path))
    assert report == {
        "argv": hostile,
        "cwd": f"{manager.jobs_root}/{cwd_name}",
        "env": f"$(touch {canary}) ' \" ; \n ü",
    }
    assert done.spec == spec
    assert done.name == name
    assert all(ch.isalnum() or ch in "-_" for ch in job.id)
    with pytest.raises(RemoteFileError):
        host.stat(canary)
    with pytest.raises(RemoteFileError):
        host.stat(f"{manager.jobs_root}/{cwd_name}/CANARY")


def test_jobs_over_ssh_run_and_report_exit_codes(ssh_jobs, tmp_path):
    release = f"{ssh_jobs.jobs_root}/release"
    script = (
        "import os, sys, time\n"
        "print('ready', flush=True)\n"
        f"while not os.path.exists({release!r}): time.sleep(0.02)\n"
        "sys.exit(9)\n"
    )
    job = ssh_jobs.start(JobSpec(command=("python3", "-c", script), name="remote"))
    running = wait_until(
        lambda: (j := ssh_jobs.get(job.id)).last_line == "ready" and j, "the remote job to start"
    )
    assert running.status.state is JobState.RUNNING
    assert running.host == ssh_jobs.host.name

    ssh_jobs.host.write(release, b"")
    done = wait_finished(ssh_jobs, job.id)
    assert done.status.exit_code == 9
    assert ssh_jobs.host.read_range(done.log_path) == b"ready\n"

    argv = ssh_jobs.attach_argv(job.id)
    assert argv[0] == "ssh" and "-t" in argv
    assert argv[-1].startswith("tmux -L ") and argv[-1].endswith(
        f"attach-session -t ={job.session}"
    )


# Any text but NUL (an argv element cannot hold one) and lone surrogates (not encodable).
any_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=st.lists(any_text, max_size=5), value=any_text, name=any_text)
def test_any_argv_env_and_name_arrive_byte_exact(local_jobs, argv, value, name):
    spec = JobSpec(command=("python3", "-c", REPORT, *argv), name=name, env=(("HOSTILE", value),))
    # the examples share one host: a name it already has comes back numbered ("x" -> "x-2")
    expected = free_name(name, {job.spec.name for job in local_jobs.list_jobs()})
    done = wait_finished(local_jobs, local_jobs.start(spec).id)
    assert done.status.exit_code == 0
    report = json.loads(local_jobs.host.read_range(done.log_path))
    assert report["argv"] == argv
    assert report["env"] == value
    assert done.spec == dataclasses.replace(spec, name=expected)
