"""One Settings object: a TOML file under the platform config dir, then AWSCONSOLE_* env.

Order of precedence (later wins): defaults < config file < environment < command line.
The config file lives at ``platformdirs.user_config_dir("awsconsole")/config.toml`` unless
``AWSCONSOLE_CONFIG`` names another file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from console.errors import ConfigError

ENV_PREFIX = "AWSCONSOLE_"


def default_config_path() -> Path:
    explicit = os.environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("awsconsole")) / "config.toml"


@dataclass(frozen=True)
class Settings:
    #: AWS profile name from ~/.aws/config (None: the standard credential chain).
    profile: str | None = None
    #: AWS region (None: the profile's or AWS_DEFAULT_REGION).
    region: str | None = None
    #: Endpoint override for every AWS service (a test or demo endpoint).
    endpoint_url: str | None = None
    #: Refuse every destructive action (terminate, delete, kill).
    read_only: bool = False
    #: Run the embedded default: an in-process AWS endpoint and this machine as every host.
    demo: bool = False
    #: Seconds between automatic refreshes of resource lists.
    refresh_interval: float = 10.0
    #: Binding id -> keys (comma separated), e.g. {"quit": "q,ctrl+q"}.
    keymap: dict[str, str] = field(default_factory=dict)
    #: Where the demo keeps its sandbox (None: the platform's cache dir).
    demo_dir: str | None = None

    @classmethod
    def load(cls, path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
        """Defaults, then the config file (if it exists), then AWSCONSOLE_* variables.

        Raises ConfigError naming the file when it is not valid TOML or has a wrong type.
        """
        path = path or default_config_path()
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        known = {f.name: f for f in fields(cls)}
        for name in known:
            key = ENV_PREFIX + name.upper()
            if key in environ and name != "keymap":
                values[name] = environ[key]
        unknown = sorted(set(values) - set(known))
        extra = {k: values.pop(k) for k in unknown}
        settings = cls()._coerced(values, source=str(path))
        object.__setattr__(settings, "_extra", extra)
        return settings

    def _coerced(self, values: dict[str, Any], source: str) -> Settings:
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
                    out[f.name] = float(raw)
                elif isinstance(default, dict):
                    if not isinstance(raw, dict):
                        raise TypeError("expected a table")
                    out[f.name] = {str(k): str(v) for k, v in raw.items()}
                else:
                    out[f.name] = None if raw in ("", None) else str(raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{source}: setting {f.name!r}: {exc}") from exc
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


def _as_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {raw!r}")
