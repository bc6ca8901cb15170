"""``awsconsole train / runs / checkpoints / predict / relaunch`` as separate processes, with
the real trainer on the tiny synthetic dataset and its jobs in real tmux on this machine.

Every command runs through an entry point that fails when torch was imported: the console
reads checkpoints from their JSON sidecars and runs the trainer only as its own process.
The trainer never asks the link-local metadata address here: ``--spot-watch off``, or the
loopback stand-in of tests/trainer/test_spot.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import pytest

from console.cli import main
from console.jobs.manager import JobManager
from console.models import JobSpec, RunNode, RunRecord
from console.runs.ledger import Ledger
from tests.fixtures.sshd import write_ssh_config
from tests.integration.test_jobs import wait_finished
from tests.trainer import conftest as trainer_fixtures
from tests.trainer import test_spot
from tests.trainer.conftest import TINY
from tests.trainer.test_spot import FakeMetadataService

ROOT = Path(__file__).resolve().parents[2]
# The console's entry point, refusing to end well when anything imported torch.
ENTRY = (
    "import sys, console.cli as cli\n"
    "code = cli.main(sys.argv[1:])\n"
    "if 'torch' in sys.modules:\n"
    "    print('TORCH WAS IMPORTED BY THE CONSOLE', file=sys.stderr)\n"
    "    sys.exit(99)\n"
    "sys.exit(code)\n"
)
INTERRUPTED = 75

# the trainer's shared fixtures (one tiny dataset, one short run for the whole test run) and
# its loopback metadata stand-in
tiny_dataset = trainer_fixtures.tiny_dataset
trained_run = trainer_fixtures.trained_run
metadata_service = test_spot.metadata_service


class Console:
    """Runs ``awsconsole ARGS…`` with HOME = the sandbox, jobs on the test's tmux socket and
    the ledger and cache in the test's folder."""

    def __init__(self, home: Path, config: Path, ledger: Path):
        self.home, self.config, self.ledger = home, config, ledger
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWSCONSOLE_", "XDG_"))
        }
        self.env["HOME"] = str(home)

    def __call__(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-c", ENTRY, "--config", str(self.config), *args]
        return subprocess.run(argv, env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip

    def json(self, *args: str) -> list[dict]:
        result = self(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(local_home: Path, tmux_socket: str, tmp_path: Path) -> Console:
    config = tmp_path / "config.toml"
    ledger = tmp_path / "ledger" / "runs.jsonl"
    config.write_text(
        f'[jobs]\ntmux_socket = "{tmux_socket}"\n'
        f'[runs]\nledger = "{ledger}"\ncache_dir = "{tmp_path / "cache"}"\n'
    )
    return Console(local_home, config, ledger)


def git_folder(path: Path) -> str:
    """A git work tree with one commit at ``path``; its commit id."""
    path.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    for argv in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run(["git", "-C", str(path), *argv], check=True, env=env, capture_output=True)
    head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return head.stdout.strip()


def metric_lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def only_run(cli: Console) -> dict:
    (run,) = cli.json("runs")
    return run


@pytest.mark.slow
def test_train_starts_the_trainer_as_a_job_and_the_ledger_keeps_the_run(
    cli: Console, local_jobs: JobManager, tiny_dataset: Path, tmp_path: Path
):
    work = tmp_path / "work"
    commit = git_folder(work)
    run_dir = tmp_path / "run"
    trainer_args = [
        "--data-root",
        str(tiny_dataset),
        "--run-dir",
        str(run_dir),
        "--epochs",
        "1",
        *TINY,
    ]

    result = cli("train", "local", "--name", "tiny", "--cwd", str(work), "--", *trainer_args)

    assert result.returncode == 0, result.stderr
    command = [sys.executable, "-m", "trainer", "train", *trainer_args]
    assert f"  command: {shlex.join(command)}\n" in result.stdout
    assert f"  run dir: local:{run_dir}\n" in result.stdout
    started = only_run(cli)
    assert started["command"] == command and started["trainer_args"] == trainer_args
    assert (started["name"], started["hosts"], started["run_dir"]) == (
        "tiny",
        ["local"],
        str(run_dir),
    )
    assert (started["git_commit"], started["git_dirty"]) == (commit, False)
    # this machine is no known instance: no type, no price, no cost
    assert started["nodes"][0]["instance_type"] is None and started["price_per_hour"] is None
    job = local_jobs.get(started["nodes"][0]["job_id"])
    assert list(job.spec.command) == command and job.spec.cwd == str(work)

    done = wait_finished(local_jobs, job.id)
    assert done.status.exit_code == 0, Path(done.log_path).read_text(errors="replace")

    run = only_run(cli)
    (evaluation,) = [r for r in metric_lines(run_dir) if r["kind"] == "eval"]
    assert (run["state"], run["state_text"], run["exit_code"]) == ("finished", "finished", 0)
    assert dt.datetime.fromisoformat(run["ended"]) >= dt.datetime.fromisoformat(run["started"])
    assert (run["epochs_done"], run["epochs_total"], run["last_step"]) == (1, 1, 7)
    assert run["metrics_skipped"] == 0
    for key in ("loss", "category_top1", "category_top3", "category_top5", "landmark_mean",
                "attr_all_recall@3", "attr_all_recall@5"):  # fmt: skip
        assert run["final_metrics"][key] == pytest.approx(evaluation[key]), key
    assert run["config"]["config"]["epochs"] == 1 and run["config"]["config"]["run_dir"] == str(
        run_dir
    )
    assert run["cost"] is None
    # kept on disk: another console reads the same record without asking the host
    (line,) = cli.ledger.read_text().splitlines()
    kept = json.loads(line)
    assert (kept["state"], kept["exit_code"], kept["git_commit"]) == ("finished", 0, commit)
    assert kept["final_metrics"]["category_top5"] == pytest.approx(evaluation["category_top5"])
    table = cli("runs", "--no-refresh")
    assert table.returncode == 0 and run["id"] in table.stdout and "finished" in table.stdout


def test_train_without_the_separator_is_refused_and_starts_nothing(
    cli: Console, local_jobs: JobManager
):
    result = cli("train", "local", "--epochs", "1")

    assert result.returncode != 0
    assert "Put `--` before the trainer's options" in result.stderr
    assert "Traceback" not in result.stderr
    assert local_jobs.list_jobs() == [] and not cli.ledger.exists()


def test_a_malformed_metrics_line_is_skipped_with_a_note(
    cli: Console, local_jobs: JobManager, trained_run: Path, tmp_path: Path
):
    run_dir = tmp_path / "hostile-run"
    shutil.copytree(trained_run, run_dir)
    good = (run_dir / "metrics.jsonl").read_bytes()
    hostile = (
        b"{not json at all\n"
        + b'{"kind": "eval", "split": "'
        + b"x" * (2 << 20)
        + b'"}\n'  # longer than any record
        + b"[1, 2, 3]\n"
        + json.dumps(
            {"kind": "\x1b]0;owned\x07eval\x1b[2J", "epoch": 9, "category_top1": 99.0}
        ).encode()
        + b"\n"
    )
    (run_dir / "metrics.jsonl").write_bytes(hostile + good)
    job = local_jobs.start(JobSpec(command=("true",), name="ended"))
    wait_finished(local_jobs, job.id)
    record = RunRecord(id="run-20261204-000000-hostile-0001", name="hostile\x1b[31m", started=job.started,
                       command=("python", "-m", "trainer", "train"), trainer_args=(), gpus="1",
                       cwd="~", run_dir=str(run_dir), nodes=(RunNode("local", job.id),))  # fmt: skip
    Ledger(cli.ledger).add(record)

    result = cli("runs")

    assert result.returncode == 0, result.stderr
    note = f"note: {record.id}: skipped 3 lines of {run_dir}/metrics.jsonl (not metrics records)"
    assert note in result.stderr
    assert "\x1b" not in result.stdout + result.stderr  # escape sequences shown, never sent
    assert f"{record.id}  hostile  local  finished" in result.stdout  # its colour code left out
    run = only_run(cli)
    (evaluation,) = [json.loads(line) for line in good.splitlines() if b'"eval"' in line]
    # the kind that is not "eval" (it carries escape codes) is not taken for an evaluation
    assert run["final_metrics"]["category_top1"] == pytest.approx(evaluation["category_top1"])
    assert (run["state"], run["epochs_done"], run["metrics_skipped"]) == ("finished", 1, 3)


def test_checkpoints_of_a_run_folder_with_step_metrics_and_size(cli: Console, trained_run: Path):
    listed = cli.json("checkpoints", f"local:{trained_run}")

    assert [c["name"] for c in listed] == ["last.pt", "best.pt"]
    for checkpoint in listed:
        name = checkpoint["name"]
        sidecar = json.loads((trained_run / f"{name}.json").read_text())
        assert checkpoint["location"] == f"local:{trained_run / name}"
        assert checkpoint["size"] == (trained_run / name).stat().st_size
        assert (
            (checkpoint["epoch"], checkpoint["step"])
            == (sidecar["epoch"], sidecar["step"])
            == (1, 7)
        )
        assert checkpoint["metrics"]["category_top5"] == pytest.approx(
            sidecar["metrics"]["category_top5"]
        )
        assert checkpoint["has_sidecar"] is True and checkpoint["sidecar_problem"] is None
    assert [c["kind"] for c in listed] == ["full", "weights"]
    table = cli("checkpoints", f"local:{trained_run}")
    assert table.returncode == 0 and "resumable" in table.stdout and "MiB" in table.stdout


def test_checkpoints_without_a_usable_sidecar_are_still_listed(
    cli: Console, trained_run: Path, tmp_path: Path
):
    folder = tmp_path / "copied"
    shutil.copytree(trained_run, folder)
    (folder / "best.pt.json").unlink()
    (folder / "last.pt.json").write_bytes(b'{"step": 7, "kind": "\x1b[2J')  # cut short
    (folder / "extra.pt").write_bytes(b"not a checkpoint at all")
    (folder / "extra.pt.json").write_bytes(b" " * (1 << 20))  # far too big to be a sidecar

    listed = {c["name"]: c for c in cli.json("checkpoints", str(folder))}

    assert set(listed) == {"last.pt", "best.pt", "extra.pt"}
    for name, checkpoint in listed.items():
        assert checkpoint["size"] == (folder / name).stat().st_size
        assert (
            checkpoint["step"] is None
            and checkpoint["metrics"] == {}
            and not checkpoint["has_sidecar"]
        )
        assert checkpoint["modified"] is not None
    assert listed["best.pt"]["sidecar_problem"] is None  # none: nothing to read
    assert listed["last.pt"]["sidecar_problem"] == "sidecar is not JSON"
    assert listed["extra.pt"]["sidecar_problem"] == "sidecar too big to be one"


@pytest.mark.slow
def test_predict_runs_the_trainer_here_and_shows_its_answer(
    cli: Console, trained_run: Path, tiny_dataset: Path, tmp_path: Path
):
    image = sorted((tiny_dataset / "img").rglob("*.jpg"))[0]
    out = tmp_path / "drawn"
    categories = {line.split()[0] for line in (tiny_dataset / "Anno" / "list_category_cloth.txt")
                  .read_text().splitlines()[2:]}  # fmt: skip

    (answer,) = cli.json("predict", f"local:{trained_run}/best.pt", str(image), "--out", str(out))

    assert answer["image"] == str(image)
    assert answer["checkpoint"] == str(trained_run / "best.pt")  # this machine's file: no copy
    names = [c["name"] for c in answer["categories"]]
    assert len(names) == 5 and set(names) <= categories
    probabilities = [c["probability"] for c in answer["categories"]]
    assert probabilities == sorted(probabilities, reverse=True) and all(
        0 <= p <= 1 for p in probabilities
    )
    assert set(answer["attributes"]) == {"texture", "fabric", "shape", "part", "style"}
    assert all(len(guesses) == 3 for guesses in answer["attributes"].values())
    assert [lm["name"] for lm in answer["landmarks"]] == [
        "left collar", "right collar", "left sleeve", "right sleeve",
        "left waistline", "right waistline", "left hem", "right hem",
    ]  # fmt: skip
    assert all(0 <= lm["u"] <= 1 and 0 <= lm["v"] <= 1 for lm in answer["landmarks"])
    drawn = Path(answer["drawn"])
    assert drawn.parent == out and drawn.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
def test_predict_on_a_file_that_is_no_image_says_so_in_one_line(
    cli: Console, trained_run: Path, tmp_path: Path
):
    bogus = tmp_path / "photo.jpg"
    bogus.write_bytes(b"\x1b[2Jnot an image")

    result = cli(
        "predict", str(trained_run / "best.pt"), str(bogus), "--out", str(tmp_path / "out")
    )

    assert result.returncode != 0 and result.returncode != 99
    assert "The trainer could not predict" in result.stderr and "Traceback" not in result.stderr
    assert not any((tmp_path / "out").glob("*.png"))


@pytest.mark.slow
def test_an_interrupted_run_names_its_checkpoint_and_relaunch_resumes_from_it(
    cli: Console,
    local_jobs: JobManager,
    tiny_dataset: Path,
    tmp_path: Path,
    metadata_service: FakeMetadataService,
):
    run_dir = tmp_path / "run"
    # the stand-in announces the interruption from the start: the trainer stops after a step
    metadata_service.instance_action = '{"action": "terminate", "time": "2026-12-04T12:02:00Z"}'
    trainer_args = ["--data-root", str(tiny_dataset), "--run-dir", str(run_dir), "--epochs", "2", *TINY,
                    "--spot-watch", "on", "--imds-endpoint", metadata_service.url, "--spot-poll-s", "0.2"]  # fmt: skip
    started = cli("train", "local", "--name", "spot", "--json", "--", *trainer_args)
    assert started.returncode == 0, started.stderr
    (first,) = json.loads(started.stdout)

    done = wait_finished(local_jobs, first["nodes"][0]["job_id"])
    assert done.status.exit_code == INTERRUPTED, Path(done.log_path).read_text(errors="replace")
    step = json.loads((run_dir / "last.pt.json").read_text())["step"]
    assert step >= 1
    run = only_run(cli)
    assert (run["state"], run["exit_code"], run["checkpoint_step"]) == (
        "interrupted",
        INTERRUPTED,
        step,
    )
    assert run["state_text"] == f"interrupted — checkpoint at step {step}"
    assert f"interrupted — checkpoint at step {step}" in cli("runs", "--no-refresh").stdout

    metadata_service.instance_action = None  # the replacement is not being reclaimed
    relaunched = cli("relaunch", first["id"], "--json")
    assert relaunched.returncode == 0, relaunched.stderr
    (second,) = json.loads(relaunched.stdout)
    resume = str(run_dir / "last.pt")
    assert (second["continues"], second["resumed_from"], second["checkpoint_step"]) == (
        first["id"],
        resume,
        step,
    )
    assert second["command"] == [
        sys.executable,
        "-m",
        "trainer",
        "train",
        *trainer_args,
        "--resume",
        resume,
    ]

    again = wait_finished(local_jobs, second["nodes"][0]["job_id"])
    assert again.status.exit_code == 0, Path(again.log_path).read_text(errors="replace")
    starts = [r for r in metric_lines(run_dir) if r["kind"] == "start"]
    assert [(s["step"], s["resumed_from"]) for s in starts] == [(0, None), (step, resume)]
    states = {r["id"]: (r["state"], r["exit_code"]) for r in cli.json("runs")}
    assert states == {first["id"]: ("interrupted", INTERRUPTED), second["id"]: ("finished", 0)}
    refused = cli("relaunch", second["id"])
    assert refused.returncode != 0 and "finished: there is nothing to resume" in refused.stderr


@pytest.mark.slow
def test_checkpoints_under_an_s3_prefix_read_their_sidecar_objects(
    trained_run: Path, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
):
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="ckpt")
    for name in ("last.pt", "last.pt.json", "best.pt"):  # best.pt's sidecar was never uploaded
        s3.put_object(Bucket="ckpt", Key=f"runs/a/{name}", Body=(trained_run / name).read_bytes())
    s3.put_object(Bucket="ckpt", Key="runs/a/\x1b[2Jodd.pt", Body=b"x" * 10)
    s3.put_object(
        Bucket="ckpt",
        Key="runs/a/\x1b[2Jodd.pt.json",
        Body=json.dumps({"step": "12", "kind": "\x1b]0;x\x07"}).encode(),
    )
    s3.put_object(Bucket="ckpt", Key="runs/a/sub/deeper.pt", Body=b"not this folder")

    code = main(["--endpoint-url", aws_endpoint, "--region", "us-east-1",
                 "checkpoints", "s3://ckpt/runs/a/", "--json"])  # fmt: skip

    captured = capsys.readouterr()
    assert code == 0, captured.err
    listed = {c["name"]: c for c in json.loads(captured.out)}
    assert set(listed) == {"last.pt", "best.pt", "\x1b[2Jodd.pt"}
    sidecar = json.loads((trained_run / "last.pt.json").read_text())
    last = listed["last.pt"]
    assert last["location"] == "s3://ckpt/runs/a/last.pt"
    assert (last["step"], last["kind"], last["size"]) == (sidecar["step"], "full", sidecar["size"])
    assert last["metrics"]["landmark_mean"] == pytest.approx(sidecar["metrics"]["landmark_mean"])
    assert listed["best.pt"]["size"] == (trained_run / "best.pt").stat().st_size
    assert not listed["best.pt"]["has_sidecar"] and listed["best.pt"]["step"] is None
    odd = listed["\x1b[2Jodd.pt"]
    assert odd["has_sidecar"] and odd["step"] is None and odd["size"] == 10  # a text is no step
    assert odd["kind"] == "\x1b]0;x\x07"  # kept as it came; shown as text below

    assert main(["--endpoint-url", aws_endpoint, "--region", "us-east-1",
                 "checkpoints", "s3://ckpt/runs/a/"]) == 0  # fmt: skip
    table = capsys.readouterr().out
    assert "\x1b" not in table and "\\x1b[2Jodd.pt" in table


def evaluated_run(folder: Path, run_id: str, name: str, job_id: str, evals: list[dict]) -> RunRecord:
    """A run folder whose metrics.jsonl holds a start and ``evals`` in the trainer's schema,
    and its ledger record on this machine's ended job ``job_id``."""
    folder.mkdir(parents=True)
    lines = [{"kind": "start", "time": 1.0, "epoch": 0, "step": 0, "resumed_from": None}]
    lines += [{"kind": "eval", "time": 2.0 + i, "split": "val", **e} for i, e in enumerate(evals)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return RunRecord(id=run_id, name=name, started=dt.datetime(2026, 12, 4, tzinfo=dt.UTC),
                     command=("python", "-m", "trainer", "train"), trainer_args=(), gpus="1",
                     cwd="~", run_dir=str(folder), nodes=(RunNode("local", job_id),))  # fmt: skip


def test_runs_compare_puts_each_runs_best_side_by_side_and_marks_the_leaders(
    cli: Console, local_jobs: JobManager, tmp_path: Path
):
    job = local_jobs.start(JobSpec(command=("true",), name="ended"))
    wait_finished(local_jobs, job.id)
    ledger = Ledger(cli.ledger)
    ledger.add(evaluated_run(tmp_path / "a", "run-20261204-000000-a-0001", "small-lr", job.id, [
        {"epoch": 1, "step": 10, "category_top1": 40.0, "category_top5": 70.0,
         "landmark_mean": 0.09, "loss": 2.0},
        {"epoch": 2, "step": 20, "category_top1": 52.5, "category_top5": 69.0,
         "landmark_mean": 0.095, "loss": 1.8},
    ]))  # fmt: skip
    ledger.add(evaluated_run(tmp_path / "b", "run-20261204-010000-b-0002", "big-lr", job.id, [
        {"epoch": 1, "step": 5, "category_top1": 48.0, "category_top5": 79.0,
         "landmark_mean": 0.07, "loss": 1.9},
    ]))  # fmt: skip

    table = cli("runs", "--compare", "small-lr", "run-20261204-010000")
    rows = cli.json("runs", "--compare", "small-lr", "big-lr")
    alone = cli("runs", "--compare", "small-lr")

    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:6] == ["#", "RUN", "NAME", "EPOCHS", "TOP-1", "TOP-3"]
    # each column's best over the run's epochs (top-5 peaked at epoch 1), the leader starred
    assert lines[1].split()[:5] == ["1", "run-20261204-000000-a-0001", "small-lr", "2", "52.5%*"]
    assert lines[2].split()[:5] == ["2", "run-20261204-010000-b-0002", "big-lr", "1", "48.0%"]
    assert "70.0%" in lines[1].split() and "79.0%*" in lines[2].split()
    assert lines[-1] == "* the best of the compared runs"
    assert [row["name"] for row in rows] == ["small-lr", "big-lr"]
    assert rows[0]["best"]["category_top5"] == 70.0 and rows[0]["best"]["landmark_mean"] == 0.09
    assert rows[1]["best"]["val_loss"] == 1.9 and rows[0]["epochs_evaluated"] == 2
    assert alone.returncode == 2 and "two or more runs" in alone.stderr


@pytest.mark.slow
def test_checkpoints_of_a_run_folder_on_an_ssh_host(
    cli: Console, trained_run: Path, ssh_material, sshd_server, sshd_jump_server
):
    # the run folder where the sshd test user (another user) can read it
    remote = Path(tempfile.mkdtemp(prefix="awsc-ckpt-"))
    try:
        remote.chmod(0o755)
        for name in ("last.pt", "last.pt.json", "best.pt", "best.pt.json"):
            shutil.copy(trained_run / name, remote / name)
            (remote / name).chmod(0o644)
        ssh = cli.home / ".ssh"
        ssh.mkdir(mode=0o700, exist_ok=True)
        write_ssh_config(ssh / "config", ssh_material, sshd_server, sshd_jump_server)
        (ssh / "known_hosts").write_text(sshd_server.known_hosts_line())

        listed = {c["name"]: c for c in cli.json("checkpoints", f"testhost:{remote}")}
    finally:
        shutil.rmtree(remote, ignore_errors=True)

    assert set(listed) == {"last.pt", "best.pt"}
    sidecar = json.loads((trained_run / "last.pt.json").read_text())
    last = listed["last.pt"]
    assert last["location"] == f"testhost:{remote}/last.pt"
    assert (last["step"], last["size"]) == (sidecar["step"], (trained_run / "last.pt").stat().st_size)
    assert listed["best.pt"]["has_sidecar"] and listed["best.pt"]["kind"] == "weights"


@pytest.mark.slow
def test_predict_with_a_checkpoint_in_s3_fetches_it_first(
    aws_endpoint: str, cli: Console, trained_run: Path, tiny_dataset: Path, tmp_path: Path
):  # aws_endpoint first: its fake credentials are in the environment the CLI is given
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="models")
    for name in ("best.pt", "best.pt.json"):
        s3.put_object(Bucket="models", Key=f"runs/a/{name}", Body=(trained_run / name).read_bytes())
    image = sorted((tiny_dataset / "img").rglob("*.jpg"))[0]

    (answer,) = cli.json("--endpoint-url", aws_endpoint, "--region", "us-east-1",
                         "predict", "s3://models/runs/a/best.pt", str(image))  # fmt: skip

    fetched = Path(answer["checkpoint"])
    # fetched into the console's cache (not run from S3), byte for byte, then predicted with
    assert fetched.is_relative_to(tmp_path / "cache")
    assert fetched.read_bytes() == (trained_run / "best.pt").read_bytes()
    assert len(answer["categories"]) == 5 and len(answer["landmarks"]) == 8
    assert Path(answer["drawn"]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
