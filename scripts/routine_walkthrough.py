"""The tutorial's routine, walked in ``awsconsole --demo`` with the keys a user presses.

    .venv/bin/python scripts/routine_walkthrough.py [--out docs/routine.md] [--size 100x30]

Builds the console exactly as ``awsconsole --demo`` does (``make_app`` over the demo's
services, its own demo folder and HOME under a temporary folder), presses each step's keys
through Textual's Pilot (real key events, the same bindings a terminal sends), waits until
the screen shows the step's result, and writes the keystrokes with the screen after each
step as text. A step that does not reach its result within its time stops the walk with the
screen it was left on: the walk is a check of the routine as well as its picture.

The steps are the routine of a "train on EC2" tutorial: launch a Deep Learning AMI
instance, open Jupyter, copy files over, mount the S3 dataset, copy and unpack its
archives, count what arrived, train in tmux, come back to the job later, watch the GPUs,
pull the best checkpoint back and predict with it on this machine.

Pilot has no terminal to hand over, so ``a`` (tmux attach) and ``c`` (SSH shell) are named
where a user would press them, and the screens show the console's own log viewer instead.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMUX_SOCKET = f"awsconsole-walk-{os.getpid()}"

#: keys whose names differ from the character typed
KEY_NAMES = {".": "full_stop", "/": "slash", ":": "colon", "~": "tilde", "-": "minus",
             "_": "underscore", " ": "space", "@": "at"}  # fmt: skip


def typed(text: str) -> list[str]:
    """The key presses that type ``text`` into a field."""
    return [KEY_NAMES.get(ch, ch) for ch in text]


@dataclass
class Step:
    title: str
    #: what the user presses, as written in the note (``type:TEXT`` types TEXT)
    keys: Sequence[str]
    #: true once the screen shows the step's result
    done: Callable[[object], bool]
    said: str = ""
    within: float = 120.0
    #: the key presses themselves (derived from ``keys``)
    presses: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for key in self.keys:
            self.presses.extend(typed(key[5:]) if key.startswith("type:") else [key])


def screen_text(app) -> str:
    """The screen as a terminal shows it, as plain text (no colours)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens, simplify=True))  # fmt: skip
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def shows(*words: str) -> Callable[[object], bool]:
    return lambda app: all(word in screen_text(app) for word in words)


def focused(widget_id: str) -> Callable[[object], bool]:
    return lambda app: app.focused is not None and app.focused.id == widget_id


def has_rows(table_id: str) -> Callable[[object], bool]:
    def check(app) -> bool:
        found = app.screen.query(f"#{table_id}")
        return bool(found) and found.first().row_count > 0

    return check


def both(*checks: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda app: all(check(app) for check in checks)


def steps() -> list[Step]:
    tab = "tab"
    return [
        Step("Start the console", [], shows("fashion-train", "running"),
             "`awsconsole --demo` (or `make demo`): the demo's fleet in the Instances view."),
        Step("1. Launch a Deep Learning AMI instance",
             ["L", tab, tab, tab, tab, "enter", "type:g5.xl", "enter", tab, "enter", "down",
              "enter", tab, tab, "type:203.0.113.7", tab, tab, tab, "type:walk", tab, "enter"],
             both(shows("Launch walk?"), focused("launch-review-back")),
             "The wizard: the AMI filter starts on `Deep Learning*` (newest first); type-to-search "
             "picks g5.xlarge with its GPUs and $/hour; a key pair; SSH from one address. "
             "Review and launch ends on the review page, whose focus rests on Back."),
        Step("   … review, then launch", ["shift+tab", "enter"],
             shows("walk", "g5.xlarge"), "Launch (the default button is Back: Enter alone "
             "launches nothing). The new instance appears in the list."),
        Step("2. Jupyter on the instance (ssh -L 8888)", ["type:/walk", "enter", "j"],
             shows("Jupyter on walk", "token="), within=180,
             said="`/` filters the list to the new instance; `j` starts Jupyter there as a job, "
             "waits for its token and shows the URL on 127.0.0.1 (copied with OSC 52). Over SSH "
             "the port is forwarded with `ssh -N -L`; a demo instance is this machine."),
        Step("3. Copy files over (scp)",
             ["escape", "escape", "5", "t", "type:~/notes", tab, "type:walk:~/notes", "enter"],
             shows("1 done"), within=120,
             said="Files, Transfers: source, destination, Enter queues it; done rows say so."),
        Step("4. Mount the S3 dataset (s3fs)",
             ["escape", "o", "shift+tab", "end", "ctrl+u", "type:walk", tab,
              "type:deepfashion-data", tab, tab, "type:~/s3", "enter"],
             has_rows("mount-table"), within=120,
             said="Mounts: host, bucket, mount point, Enter mounts with s3fs on the host."),
        Step("5. Copy the archives to the instance",
             ["escape", "t", "end", "ctrl+u", "type:s3://deepfashion-data/archives/", tab,
              "end", "ctrl+u", "type:walk:~/zips", "enter"],
             shows("2 done"), within=300,
             said="Transfers again: an S3 prefix to a folder on the instance."),
        Step("6. Unpack them in parallel (find | xargs -P unzip)",
             ["escape", "u", "type:walk:~/zips", "enter"], shows("unpacked"), within=180,
             said="Unpack: every archive of the folder, one worker per core; names that "
             "would leave the folder are refused and listed."),
        Step("7. Count what arrived (ls | wc -l)",
             ["escape", "c", "type:walk:~/zips", "enter"], shows("files"), within=120,
             said="Count: files, folders and bytes by extension."),
        Step("8. Train in tmux", ["escape", "6", "t"], shows("Train"), within=60,
             said="Runs, `t`: the train form, prefilled for the demo (fashion-train, a small "
             "synthetic dataset made there first)."),
        Step("   … start it", ["enter"], has_rows("runs-table"), within=120,
             said="Enter starts `python -m trainer train` as a tmux job on the instance and "
             "records the run in the ledger; the Runs view lists it."),
        Step("   … and follow it", ["enter"], shows("Metric", "Checkpoint"), within=120,
             said="Enter on the run: charts fill as its metrics arrive (loss, top-k, "
             "attribute recall, landmark error, images/s), with ETA and cost."),
        Step("9. Come back to it later (tmux attach)", ["escape", "3"],
             shows("fashion-train"), within=60,
             said="Jobs lists the training job on its host, running or with its exit code; "
             "`a` attaches in a real terminal (detach returns), `l` follows its log here."),
        Step("10. Watch the GPUs (watch nvidia-smi)", ["4"], shows("A10G"), within=60,
             said="GPU: one nvidia-smi stream per host (in the demo a real A10G's recording, "
             "labelled as one), processes, host panel, idle warning."),
        Step("11. Pull the best checkpoint back", ["6", "enter"], shows("finished"),
             within=600, said="Runs, Enter: the run screen says finished, with its best "
             "metrics and its checkpoints on the host."),
        Step("   … to this machine", ["down", "d"], shows("is on this machine"), within=120,
             said="`↓` selects best.pt, `d` copies it here (listed beside the host's, with "
             "its path)."),
        Step("12. Predict with it on this machine", ["p", "enter"], shows("Top-5 categories"), within=300,
             said="`p` offers an image of the dataset, Enter runs the trainer's predict here "
             "with the selected checkpoint (fetched into the cache first when it is on the "
             "host; weights only): top-5 categories, attributes by type, landmarks, and the "
             "picture drawn."),
    ]


async def walk(out: Path, size: tuple[int, int], home: Path) -> int:
    os.environ["HOME"] = str(home)
    for name in [n for n in os.environ if n.startswith(("AWSCONSOLE_", "XDG_"))]:
        del os.environ[name]
    sys.path.insert(0, str(ROOT))
    from console.app import make_app
    from console.settings import JobsSettings, Settings
    from console.startup import build_services

    (home / "notes").mkdir(parents=True, exist_ok=True)
    for i in range(3):
        (home / "notes" / f"note-{i}.txt").write_text(f"note {i}\n")
    # the walk's jobs on a tmux server of their own, ended with it
    settings = Settings.load(home / "none.toml", environ={}).with_overrides(
        demo=True, demo_dir=str(home / "demo"), jobs=JobsSettings(tmux_socket=TMUX_SOCKET))  # fmt: skip
    services = build_services(settings)
    app = make_app(settings, services)
    written = ["# The routine, walked in the demo", "",
               f"Made by `scripts/routine_walkthrough.py` at {size[0]}×{size[1]}: the keys "
               "pressed at each step and the screen after it.", ""]  # fmt: skip
    failed = 0
    try:
        async with app.run_test(size=size) as pilot:
            for step in steps():
                started = time.monotonic()
                for key in step.presses:
                    await pilot.press(key)
                    await pilot.pause(0.15)
                    if os.environ.get("WALK_DEBUG"):
                        where = app.focused
                        print(f"  {key} -> {type(where).__name__}#{getattr(where, 'id', None)}"
                              f" on {type(app.screen).__name__}", file=sys.stderr)
                while not step.done(app):
                    if time.monotonic() - started > step.within:
                        failed = 1
                        break
                    await pilot.pause(0.5)
                took = time.monotonic() - started
                keys = " ".join(f"`{k[5:]}`" if k.startswith("type:") else f"`{k}`"
                                for k in step.keys) or "(none)"  # fmt: skip
                result = "NOT REACHED" if failed else f"{took:.1f} s"
                print(f"{step.title}: {result}", file=sys.stderr)
                # the walk's HOME is a temporary folder: written as $HOME
                screen = screen_text(app).replace(str(home), "$HOME")
                written += [f"## {step.title}", "", f"Keys: {keys}  ({result})", "",
                            step.said, "", "```", screen, "```", ""]  # fmt: skip
                if failed:
                    break
    finally:
        services.close()
    out.write_text("\n".join(written), encoding="utf-8")
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "routine.md")
    parser.add_argument("--size", default="100x30")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="awsc-walk-", ignore_cleanup_errors=True) as home:
        code = asyncio.run(walk(args.out, (width, height), Path(home)))
        from console.demo.endpoint import stop_endpoint

        stop_endpoint(Path(home) / "demo")  # the walk's own endpoint (and mount) end with it
        subprocess.run(["tmux", "-L", TMUX_SOCKET, "kill-server"], capture_output=True,
                       check=False)  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())
