"""What a command pays for at start-up: the parser registers only the command named, and
``awsconsole count DIR`` on this machine loads no AWS, host, UI or services layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import console.models
from console.cli import COMMAND_MODULES, build_parser, command_named_in

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["count", "/data"], "count"),
        (["--demo", "count", "s3://b/p"], "count"),
        (["--profile", "count", "ls", "x"], "ls"),  # a profile named like a command
        (["--profile=gpu", "instances"], "instances"),
        (["--prof", "count", "ls", "x"], "ls"),  # argparse's abbreviation takes its value
        (["--read-only", "--config", "c.toml", "jobs"], "jobs"),
        (["--help", "count"], None),
        (["--version"], None),
        (["cuont", "x"], None),  # a typo: argparse lists every command
        ([], None),
    ],
)
def test_the_command_named_is_found_past_global_options_and_their_values(argv, named):
    assert command_named_in(argv) == named


def test_the_parser_registers_only_the_named_command_and_every_one_otherwise():
    def commands(parser) -> set[str]:
        return set(parser._subparsers._group_actions[0].choices)

    assert commands(build_parser(["count", "/data"])) == {"count"}
    assert commands(build_parser(["cuont"])) == set(COMMAND_MODULES)
    assert commands(build_parser()) == set(COMMAND_MODULES)
    args = build_parser(["--profile", "count", "ls", "s3://b"]).parse_args(
        ["--profile", "count", "ls", "s3://b"]
    )
    assert (args.profile, args.command) == ("count", "ls")


def test_a_local_count_loads_no_aws_host_ui_or_services_layer(tmp_path: Path):
    folder = tmp_path / "a folder"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "-c.txt"):
        (folder / name).write_bytes(b"x")
    script = (
        "import json, sys\n"
        "from console.cli import main\n"
        "code = main(['count', sys.argv[1], '--json'])\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stderr.splitlines()[-1])
    assert report["code"] == 0
    [count] = json.loads(result.stdout)
    assert (count["files"], count["dirs"]) == (3, 1)
    loaded = set(report["modules"])
    heavy = {"boto3", "botocore", "paramiko", "textual", "rich", "moto"}
    assert heavy & {name.split(".")[0] for name in loaded} == set()
    layers = ("console.services", "console.hosts", "console.aws", "console.ui", "console.demo")
    assert [name for name in loaded if name.startswith(layers)] == []
    # only the models a count shows
    assert {name for name in loaded if name.startswith("console.models.")} <= {
        "console.models.files",
        "console.models.location",
    }


def test_every_model_name_loads_from_its_domain_module_alone():
    script = (
        "import sys, console.models.files\n"
        "print(sorted(m for m in sys.modules if m.startswith('console.models.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.stdout.split() == ["['console.models.files']"]
    for module, names in console.models.DOMAINS.items():
        home = sys.modules.get(f"console.models.{module}") or __import__(
            f"console.models.{module}", fromlist=["_"]
        )
        for name in names:
            assert getattr(console.models, name) is getattr(home, name), name
    assert sorted(console.models.__all__) == sorted(
        name for names in console.models.DOMAINS.values() for name in names
    )
    with pytest.raises(AttributeError, match="NoSuchModel"):
        console.models.NoSuchModel  # noqa: B018
