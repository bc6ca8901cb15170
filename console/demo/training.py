"""Training in the demo: the job template it offers and the environment its hosts run with.

The demo's instances are this machine. A job there runs ``python -m trainer …`` with the
console's environment for the trainer (``console.runs.local_python.console_environment``: the
console's interpreter folder first on PATH, the trainer's source folder on PYTHONPATH only
when a source checkout runs in place), so the torch installed beside the console trains, as
an instance's own would on a real one. The template trains on a small synthetic dataset in
the benchmark's layout, made on the instance the first time (``python -m trainer synth``),
small enough for the CPU in about a minute, with the spot watcher off: a demo instance has no
metadata service of its own, and the trainer must never ask the link-local address here.
"""

from __future__ import annotations

from console.models import TrainDefaults, TrainRequest

#: the trainer's options of the demo's template
DEMO_TRAINER_ARGS: tuple[str, ...] = (
    "--data-root", "data/deepfashion", "--run-dir", "runs/demo", "--epochs", "5",
    "--image-size", "96", "--width", "0.25", "--batch-size", "8", "--workers", "0",
    "--log-every", "5", "--spot-watch", "off",
)  # fmt: skip
#: the synthetic dataset the template makes when the instance has none
DEMO_SYNTH_ARGS: tuple[str, ...] = ("data/deepfashion", "--images", "240", "--categories", "8")
TEMPLATE_NAME = "train deepfashion (demo)"
#: the demo instance the train form suggests (running, with a price: the cost shows)
DEMO_TRAIN_HOST = "fashion-train"
#: the train form's defaults in the demo: the template's training on a demo instance, its
#: dataset made there first when the folder has none
DEMO_TRAIN_DEFAULTS = TrainDefaults(
    request=TrainRequest(hosts=(DEMO_TRAIN_HOST,), trainer_args=DEMO_TRAINER_ARGS,
                         name="demo", cwd="~"),
    synth_args=DEMO_SYNTH_ARGS[1:],
)  # fmt: skip

#: the job templates the demo offers beside the config file's ``[templates]`` (which win a
#: name); the same shape as a config table (console.models.jobspec.template_spec)
DEMO_TEMPLATES: dict[str, dict[str, object]] = {
    TEMPLATE_NAME: {
        "name": TEMPLATE_NAME,
        "cwd": "~",
        "command": [
            "sh", "-c",
            "test -f data/deepfashion/Anno/list_category_img.txt"
            f" || python -m trainer synth {' '.join(DEMO_SYNTH_ARGS)}"
            ' || exit $?; exec python -m trainer train "$@"',
            "train", *DEMO_TRAINER_ARGS,
        ],
    },
}  # fmt: skip


def with_demo_templates(templates: dict[str, object]) -> dict[str, object]:
    """The config file's templates with the demo's added (the file's win a name)."""
    return {**DEMO_TEMPLATES, **templates}
