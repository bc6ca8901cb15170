"""Training in the demo: the job template it offers and the environment its hosts run with.

The demo's instances are this machine. A job there runs ``python -m trainer …`` with the
console's environment for the trainer (``console.runs.local_python.console_environment``: the
console's interpreter folder first on PATH, the trainer's source folder on PYTHONPATH only
when a source checkout runs in place), so the torch installed beside the console trains, as
an instance's own would on a real one. The template trains on a small synthetic dataset in
the benchmark's layout, made on the instance the first time (``python -m trainer synth``),
small enough for the CPU in about a minute. The train form's defaults watch for spot
interruptions on the demo's own metadata stand-in (``console.demo.metadata``, served by the
demo endpoint on 127.0.0.1), so ``i`` on a running run can announce one and the recovery
path can be tried; the job template keeps the watcher off. The trainer never asks the
link-local address here.
"""

from __future__ import annotations

from console.demo.metadata import PREFIX as METADATA_PREFIX
from console.models import TrainDefaults, TrainRequest
from console.runs.trainer_args import without_option

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
#: seconds between the demo trainer's looks at its metadata stand-in
DEMO_SPOT_POLL_SECONDS = "1"


def demo_metadata_endpoint(endpoint_url: str, instance: str) -> str:
    """The metadata stand-in of the demo instance ``instance``."""
    return f"{endpoint_url.rstrip('/')}{METADATA_PREFIX}{instance}"


def demo_train_defaults(endpoint_url: str | None = None) -> TrainDefaults:
    """The train form's defaults in the demo: the template's training on a demo instance, its
    dataset made there first when the folder has none; with the endpoint's URL, the spot
    watcher on, asking that instance's metadata stand-in (without: off)."""
    args = DEMO_TRAINER_ARGS
    if endpoint_url:
        args = (*without_option(args, "--spot-watch"), "--spot-watch", "on",
                "--spot-poll-s", DEMO_SPOT_POLL_SECONDS,
                "--imds-endpoint", demo_metadata_endpoint(endpoint_url, DEMO_TRAIN_HOST))  # fmt: skip
    return TrainDefaults(
        request=TrainRequest(hosts=(DEMO_TRAIN_HOST,), trainer_args=args, name="demo", cwd="~"),
        synth_args=DEMO_SYNTH_ARGS[1:],
    )


DEMO_TRAIN_DEFAULTS = demo_train_defaults()

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
