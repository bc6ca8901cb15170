"""One Settings object: a TOML file under the platform config dir, then AWSCONSOLE_* env.

Order of precedence (later wins): defaults < config file < environment < command line.
The config file lives at ``platformdirs.user_config_dir("awsconsole")/config.toml`` unless
``AWSCONSOLE_CONFIG`` names another file.

What the file may hold is one table, below: the top-level settings (the fields of
``Settings``, each with its type and meaning) and the tables features read (``[jobs]``,
``[gpu]``, …), each key with its kind and meaning. A key that is not in it, at the top level
or in a known table, is an error naming the nearest known key: ``readonly = true`` must not
leave a session writable without a word. A top-level value of the wrong type is an error
naming the setting and where it came from (the file, or the AWSCONSOLE_* variable). The
values inside a table are checked by the feature that reads it (with its ranges: a port, a
number of streams), when it reads it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from console.errors import ConfigError

ENV_PREFIX = "AWSCONSOLE_"
#: AWSCONSOLE_* variables that are not settings: the config file's path, and what a job's
#: runner gives the job (the console may run inside a job)
ENV_NOT_SETTINGS = frozenset({"CONFIG", "JOB_DIR", "JOB_ID"})


def default_config_path() -> Path:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("awsconsole")) / "config.toml"


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    profile: str | None = _setting(
        None, "AWS profile name from ~/.aws/config (none: the standard credential chain)."
    )
    region: str | None = _setting(None, "AWS region (none: the profile's or AWS_DEFAULT_REGION).")
    endpoint_url: str | None = _setting(
        None, "Endpoint override for every AWS service (a test or demo endpoint)."
    )
    read_only: bool = _setting(
        False, "Refuse every change: instance actions, S3 writes, jobs, mounts, unpacking."
    )
    demo: bool = _setting(
        False,
        "Run the embedded default: an in-process AWS endpoint and this machine as every host.",
    )
    refresh_interval: float = _setting(10.0, "Seconds between automatic refreshes of lists.")
    keymap: dict[str, str] = field(
        default_factory=dict,
        metadata={"doc": 'Binding id -> keys (comma separated), e.g. {"app.quit" = "q,ctrl+q"}.'},
    )
    demo_dir: str | None = _setting(
        None, "Where the demo keeps its sandbox (none: the platform's cache dir)."
    )

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then the config file (if it exists), then AWSCONSOLE_* variables.

        Raises ConfigError naming the file when it is not valid TOML, naming the key and
        the nearest known one for a key that is not a setting, and naming the setting and
        its source (the file, or the variable) for a value of the wrong type.
        """
        path = path or default_config_path()
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        problems = unknown_keys(values)
        if problems:
            raise ConfigError(f"{path}: {'; '.join(problems)}.")
        sources = {name: f"{path}: setting {name!r}" for name in values}
        for name, value in _settings_from_environment(environ).items():
            values[name] = value
            sources[name] = f"{ENV_PREFIX}{name.upper()}={value!r}"
        tables = {name: values.pop(name) for name in list(values) if name in TABLES}
        settings = cls()._coerced(values, sources)
        object.__setattr__(settings, "_extra", tables)
        return settings

    def _coerced(self, values: dict[str, Any], sources: Mapping[str, str]) -> Settings:
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name not in values:
                continue
            raw = values[f.name]
            default = getattr(self, f.name)
            try:
                if isinstance(default, bool) or f.name in ("read_only", "demo"):
                    out[f.name] = _as_bool(raw)
                elif isinstance(default, float):
                    out[f.name] = _as_number(raw)
                elif isinstance(default, dict):
                    if not isinstance(raw, dict):
                        raise TypeError("expected a table")
                    out[f.name] = {str(k): str(v) for k, v in raw.items()}
                else:
                    if raw not in ("", None) and not isinstance(raw, str):
                        raise TypeError(f"expected text, not {raw!r}")
                    out[f.name] = None if raw in ("", None) else raw
            except (TypeError, ValueError) as exc:
                source = sources.get(f.name, f"setting {f.name!r}")
                raise ConfigError(f"{source}: {exc}") from exc
        return replace(self, **out)

    def section(self, name: str) -> dict[str, Any]:
        """A table of the config file this class does not model (e.g. [templates])."""
        extra = getattr(self, "_extra", {})
        value = extra.get(name, {})
        return value if isinstance(value, dict) else {}

    def with_overrides(self, **overrides: Any) -> Settings:
        """The command line wins: apply the flags the user gave (None means not given)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        new = replace(self, **given)
        object.__setattr__(new, "_extra", getattr(self, "_extra", {}))
        return new

    def with_target(self, *, profile: str | None, region: str | None) -> Settings:
        """The same settings for another AWS profile and region (the in-app switch).

        Unlike ``with_overrides``, None is a value here: no profile means the standard
        credential chain, no region the profile's own.
        """
        new = replace(self, profile=profile or None, region=region or None)
        object.__setattr__(new, "_extra", getattr(self, "_extra", {}))
        return new


# --- what the config file may hold -------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key of a config table: what kind of value it takes and what it does."""

    kind: str
    doc: str


#: the tables features read, each key with its kind and meaning (the values are checked by
#: the feature that reads the table: console.jobs.directory, console.gpu.settings, …)
TABLES: dict[str, dict[str, Key]] = {
    "jobs": {
        "tmux_socket": Key("text", "tmux socket name jobs run on (`tmux -L NAME`)."),
        "hosts": Key("list of text", "ssh aliases always searched for jobs."),
    },
    # each key is a template's name; TEMPLATE_KEYS says what one holds
    "templates": {},
    "gpu": {
        "nvidia_smi": Key("text", "nvidia-smi command or absolute path on the hosts."),
        "interval_ms": Key("number", "refresh of the long-lived GPU stream, milliseconds."),
        "history_minutes": Key("number", "sparkline history kept per GPU, minutes."),
        "apps_interval_seconds": Key("number", "refresh of the GPU process list, seconds."),
    },
    "transfer": {
        "streams": Key('"auto" or 1-16', "SSH streams per big file."),
    },
    "idle": {
        "threshold_percent": Key("number", "a GPU under this utilisation counts as idle."),
        "period_minutes": Key("number", "warn when every GPU stayed idle this long."),
        "max_gap_seconds": Key("number", "samples further apart restart the idle stretch."),
    },
    "instances": {
        "ssh_user": Key("text", "user name on the instances (ubuntu, ec2-user)."),
        "jupyter_port": Key("whole number", "Jupyter's port on the instance and here."),
        "key_dir": Key("text", "where <key pair name>.pem files are looked for."),
    },
    "doctor": {
        "python": Key("text", "the Python that trains on the host."),
        "min_free_gb": Key("number", "free disk space a host needs, GB."),
    },
}
#: what one ``[templates."NAME"]`` table holds
TEMPLATE_KEYS: dict[str, Key] = {
    "command": Key("list of text, or one line", "the command, split like a shell would."),
    "cwd": Key("text", "working directory on the host (default ~)."),
    "env": Key("table", "environment variables, NAME = value."),
    "name": Key("text", "the job's name (default: the template's)."),
}


def unknown_keys(values: Mapping[str, Any]) -> list[str]:
    """What in a config document is not a known setting, each with the nearest known key."""
    top = [f.name for f in fields(Settings)] + list(TABLES)
    problems = [_unknown(key, top, "setting") for key in values if key not in top]
    for table, known in TABLES.items():
        content = values.get(table)
        if table not in values:
            continue
        if not isinstance(content, dict):
            problems.append(f"[{table}] must be a table, not {content!r}")
            continue
        if table == "templates":
            for name, template in content.items():
                if not isinstance(template, dict):
                    continue  # console.jobs.manager.template_spec names it when it is used
                problems += [
                    _unknown(key, list(TEMPLATE_KEYS), f'key of [templates."{name}"]')
                    for key in template
                    if key not in TEMPLATE_KEYS
                ]
            continue
        problems += [
            _unknown(key, list(known), f"key of [{table}]") for key in content if key not in known
        ]
    return problems


def _unknown(key: str, known: list[str], what: str) -> str:
    nearest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if nearest:
        return f"unknown {what} {key!r} (did you mean {nearest[0]!r}?)"
    return f"unknown {what} {key!r} (known: {', '.join(known)})"


def _settings_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The AWSCONSOLE_* variables that set a top-level setting, by setting name.

    Raises ConfigError naming a variable that sets nothing (with the nearest one that
    does), or one that names a table (tables live in the config file only).
    """
    names = {f.name.upper(): f.name for f in fields(Settings) if f.name != "keymap"}
    found: dict[str, str] = {}
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        suffix = variable[len(ENV_PREFIX) :]
        if suffix in ENV_NOT_SETTINGS:
            continue
        if suffix in names:
            found[names[suffix]] = value
            continue
        if suffix.lower() in (*TABLES, "keymap"):
            raise ConfigError(
                f"{variable}: [{suffix.lower()}] is a table: set it in the config file."
            )
        known = [ENV_PREFIX + name for name in (*names, *sorted(ENV_NOT_SETTINGS))]
        nearest = difflib.get_close_matches(variable, known, n=1, cutoff=0.6)
        hint = f"did you mean {nearest[0]}?" if nearest else f"known: {', '.join(known)}"
        raise ConfigError(f"{variable} is not a setting ({hint})")
    return found


def _as_number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise TypeError(f"not a number: {raw!r}")
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"not a number: {raw!r}") from None


def _as_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {raw!r} (true/false, yes/no, on/off, 1/0)")
