"""One typed settings tree: a TOML file under the platform config dir, then AWSCONSOLE_* env.

Order of precedence (later wins): defaults < config file < environment < command line.
The config file lives at ``platformdirs.user_config_dir("awsconsole")/config.toml`` unless
``AWSCONSOLE_CONFIG`` names another file.

``Settings`` holds the top-level settings and one typed section per table of the file
(``[jobs]``, ``[gpu]``, ``[idle]``, ``[transfer]``, ``[instances]``, ``[doctor]``, ``[runs]``, in
``console.settings.sections``), every field with its type, its default and what it does
(``describe()`` lists them). Every value is read and checked when the settings load, so a
mistake is one error naming where it came from: a key that is not a setting names the
nearest known one (``readonly = true`` must not leave a session writable without a word), a
value of the wrong type or out of range names the setting and its source (the file, or the
variable). Any setting but the ``[keymap]`` and ``[templates]`` tables can also come from
the environment: ``AWSCONSOLE_REGION``, ``AWSCONSOLE_GPU_INTERVAL_MS``.

The standard library serves this (dataclasses, tomllib, difflib): pydantic-settings would
add validation we already have in ~150 lines, and its import alone costs more than the
console's whole start-up budget for a plain ``awsconsole count``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from console.errors import ConfigError
from console.settings.schema import coerce, doc_of, is_section, section, setting
from console.settings.sections import (
    TEMPLATE_KEYS,
    DoctorSettings,
    GpuSettings,
    IdleSettings,
    InstancesSettings,
    JobsSettings,
    RunsSettings,
    TransferSettings,
)

__all__ = [
    "DoctorSettings",
    "GpuSettings",
    "IdleSettings",
    "InstancesSettings",
    "JobsSettings",
    "RunsSettings",
    "Settings",
    "TEMPLATE_KEYS",
    "TransferSettings",
    "default_config_path",
    "describe",
]

ENV_PREFIX = "AWSCONSOLE_"
#: AWSCONSOLE_* variables that are not settings: the config file's path, and what a job's
#: runner gives the job (the console may run inside a job)
ENV_NOT_SETTINGS = frozenset({"CONFIG", "JOB_DIR", "JOB_ID"})
#: tables of free-form keys: only the file sets them
FILE_ONLY = frozenset({"keymap", "templates"})


def default_config_path() -> Path:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("awsconsole")) / "config.toml"


@dataclass(frozen=True)
class Settings:
    profile: str | None = setting(
        None, "AWS profile name from ~/.aws/config (none: the standard credential chain)."
    )
    region: str | None = setting(None, "AWS region (none: the profile's or AWS_DEFAULT_REGION).")
    endpoint_url: str | None = setting(
        None, "Endpoint override for every AWS service (a test or demo endpoint)."
    )
    read_only: bool = setting(
        False, "Refuse every change: instance actions, S3 writes, jobs, mounts, unpacking."
    )
    demo: bool = setting(
        False,
        "Run the embedded default: a loopback AWS endpoint and this machine as every host.",
    )
    refresh_interval: float = setting(
        10.0,
        "Seconds between automatic refreshes of lists.",
        check=lambda v: None if v >= 0 else f"must not be negative, not {v!r}",
    )
    demo_dir: str | None = setting(
        None, "Where the demo keeps its sandbox (none: the platform's cache dir)."
    )
    keymap: dict[str, str] = setting(
        {}, 'Binding id -> keys (comma separated), e.g. {"app.quit" = "q,ctrl+q"}.'
    )
    templates: dict[str, Any] = setting(
        {},
        'Job templates offered by the new-job form: [templates."NAME"] command, cwd, env, name.',
        parse=lambda raw: _table(raw),
    )
    jobs: JobsSettings = section(JobsSettings, "Jobs in tmux on the hosts.")
    gpu: GpuSettings = section(GpuSettings, "The GPU streams.")
    idle: IdleSettings = section(IdleSettings, "The idle-GPU warning and autostop.")
    transfer: TransferSettings = section(TransferSettings, "Copies over SSH.")
    instances: InstancesSettings = section(InstancesSettings, "Reaching instances.")
    doctor: DoctorSettings = section(DoctorSettings, "The host doctor.")
    runs: RunsSettings = section(RunsSettings, "The training workflow on this machine.")

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then the config file (if it exists), then AWSCONSOLE_* variables.

        Raises ConfigError naming the file when it is not valid TOML; naming every key that
        is not a setting with the nearest known one; naming the setting and its source (the
        file, or the variable) for a value of the wrong type or out of range.
        """
        path = path or default_config_path()
        environ = os.environ if environ is None else environ
        document: dict[str, Any] = {}
        if path.is_file():
            try:
                document = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        problems = unknown_keys(document)
        if problems:
            raise ConfigError(f"{path}: {'; '.join(problems)}.")
        values: dict[str, Any] = {}
        for name, raw in document.items():
            values[name] = _Given(
                raw, f"{path}: setting {name!r}", from_text=False, origin=str(path)
            )
        for (table, name), (variable, raw) in _settings_from_environment(environ).items():
            given = _Given(raw, f"{variable}={raw!r}", from_text=True)
            if table is None:
                values[name] = given
            else:
                values.setdefault(
                    table, _Given({}, f"{path}: [{table}]", from_text=False, origin=str(path))
                )
                values[table].overrides[name] = given
        return _build(cls, values)

    def with_overrides(self, **overrides: Any) -> Settings:
        """The command line wins: apply the flags the user gave (None means not given)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def with_autostop(self, minutes: float | None) -> Settings:
        """``--autostop MINUTES`` over ``[idle] autostop_minutes`` (None: not given; 0: off).
        Raises ConfigError for a figure the setting refuses, naming the flag."""
        if minutes is None:
            return self
        field = next(f for f in fields(IdleSettings) if f.name == "autostop_minutes")
        value = _value(field, _Given(minutes, "--autostop", from_text=False))
        return replace(self, idle=replace(self.idle, autostop_minutes=value))

    def with_target(self, *, profile: str | None, region: str | None) -> Settings:
        """The same settings for another AWS profile and region (the in-app switch).

        Unlike ``with_overrides``, None is a value here: no profile means the standard
        credential chain, no region the profile's own.
        """
        return replace(self, profile=profile or None, region=region or None)


def _table(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"expected a table, not {raw!r}")
    return dict(raw)


# --- reading values into the tree -------------------------------------------------------------


class _Given:
    """A raw value and where it came from; a table also carries values from the environment."""

    def __init__(self, raw: Any, source: str, *, from_text: bool, origin: str = ""):
        self.raw = raw
        self.source = source
        self.from_text = from_text
        #: the file a table came from, to name its keys
        self.origin = origin
        self.overrides: dict[str, _Given] = {}


def _build(cls: type, values: Mapping[str, _Given]) -> Any:
    out: dict[str, Any] = {}
    for f in fields(cls):
        given = values.get(f.name)
        if given is None:
            continue
        if is_section(f):
            table = given.raw
            nested = {
                key: _Given(raw, f"{given.origin}: [{f.name}] {key}", from_text=False)
                for key, raw in table.items()
            }
            nested.update(given.overrides)
            out[f.name] = _build(f.default_factory, nested)  # type: ignore[misc]
            continue
        out[f.name] = _value(f, given)
    return cls(**out)


def _value(f: Any, given: _Given) -> Any:
    parse = f.metadata.get("parse")
    check = f.metadata.get("check")
    try:
        value = (
            parse(given.raw) if parse else coerce(str(f.type), given.raw, from_text=given.from_text)
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{given.source}: {exc}") from None
    if check is not None and value is not None:
        complaint = check(value)
        if complaint:
            raise ConfigError(f"{given.source} {complaint}")
    return value


# --- what the config file may hold -------------------------------------------------------------


def _sections() -> dict[str, type]:
    return {f.name: f.default_factory for f in fields(Settings) if is_section(f)}  # type: ignore[misc]


def known_keys() -> dict[str, list[str]]:
    """Every table of the file with its keys ("" for the top level)."""
    known = {"": [f.name for f in fields(Settings)]}
    for name, cls in _sections().items():
        known[name] = [f.name for f in fields(cls)]
    known["templates"] = list(TEMPLATE_KEYS)
    return known


def unknown_keys(values: Mapping[str, Any]) -> list[str]:
    """What in a config document is not a known setting, each with the nearest known key."""
    known = known_keys()
    top = known[""]
    problems = [_unknown(key, top, "setting") for key in values if key not in top]
    # [keymap] holds binding ids, which console.settings.keymap checks against the app's
    for table in [*_sections(), "templates"]:
        if table not in values:
            continue
        content = values[table]
        if not isinstance(content, dict):
            problems.append(f"[{table}] must be a table, not {content!r}")
            continue
        if table == "templates":
            for name, template in content.items():
                if not isinstance(template, dict):
                    continue  # console.jobs.manager.template_spec names it when it is used
                problems += [
                    _unknown(key, known["templates"], f'key of [templates."{name}"]')
                    for key in template
                    if key not in TEMPLATE_KEYS
                ]
            continue
        problems += [
            _unknown(key, known[table], f"key of [{table}]")
            for key in content
            if key not in known[table]
        ]
    return problems


def _unknown(key: str, known: list[str], what: str) -> str:
    nearest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if nearest:
        return f"unknown {what} {key!r} (did you mean {nearest[0]!r}?)"
    return f"unknown {what} {key!r} (known: {', '.join(known)})"


def _environment_names() -> dict[str, tuple[str | None, str]]:
    """AWSCONSOLE_* suffix -> (table or None, key)."""
    names: dict[str, tuple[str | None, str]] = {}
    for f in fields(Settings):
        if is_section(f):
            for inner in fields(f.default_factory):  # type: ignore[arg-type]
                names[f"{f.name}_{inner.name}".upper()] = (f.name, inner.name)
        elif f.name not in FILE_ONLY:
            names[f.name.upper()] = (None, f.name)
    return names


def _settings_from_environment(
    environ: Mapping[str, str],
) -> dict[tuple[str | None, str], tuple[str, str]]:
    """The AWSCONSOLE_* variables that set a setting: (table, key) -> (variable, value).

    Raises ConfigError naming a variable that sets nothing (with the nearest one that
    does), or one that names a free-form table (those live in the config file only).
    """
    names = _environment_names()
    found: dict[tuple[str | None, str], tuple[str, str]] = {}
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        suffix = variable[len(ENV_PREFIX) :]
        if suffix in ENV_NOT_SETTINGS:
            continue
        if suffix in names:
            found[names[suffix]] = (variable, value)
            continue
        if suffix.lower() in (*_sections(), *FILE_ONLY):
            raise ConfigError(
                f"{variable}: [{suffix.lower()}] is a table: set one of its keys "
                f"({ENV_PREFIX}{suffix}_KEY) or set it in the config file."
            )
        known = [ENV_PREFIX + name for name in (*names, *sorted(ENV_NOT_SETTINGS))]
        nearest = difflib.get_close_matches(variable, known, n=1, cutoff=0.6)
        hint = f"did you mean {nearest[0]}?" if nearest else f"known: {', '.join(known)}"
        raise ConfigError(f"{variable} is not a setting ({hint})")
    return found


def describe() -> Iterator[tuple[str, str, str, str]]:
    """(key as written in the file, type, default, what it does) for every setting."""
    defaults = Settings()
    for f in fields(Settings):
        if is_section(f):
            inner_defaults = getattr(defaults, f.name)
            for inner in fields(f.default_factory):  # type: ignore[arg-type]
                yield (
                    f"[{f.name}] {inner.name}",
                    str(inner.type),
                    repr(getattr(inner_defaults, inner.name)),
                    doc_of(inner),
                )
        else:
            yield f.name, str(f.type), repr(getattr(defaults, f.name)), doc_of(f)
