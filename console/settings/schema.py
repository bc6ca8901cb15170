"""How one setting is declared (default, documentation, check) and how a raw value from the
config file or the environment becomes a typed one, with an error that names its source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, field
from typing import Any

#: a check gets the coerced value and returns a complaint (None when the value is fine)
Check = Callable[[Any], str | None]


def setting(
    default: Any,
    doc: str,
    *,
    check: Check | None = None,
    parse: Callable[[Any], Any] | None = None,
) -> Any:
    """A documented field with a default; ``check`` refuses values out of range; ``parse``
    replaces the reading by type for a value with a syntax of its own ("auto" or 1-16)."""
    metadata = {"doc": doc, "check": check, "parse": parse}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def section(factory: Callable[[], Any], doc: str) -> Any:
    """A ``[table]`` of the config file, typed by ``factory``'s class."""
    return field(default_factory=factory, metadata={"doc": doc, "section": True})


def doc_of(f: Field) -> str:
    return str(f.metadata.get("doc", ""))


def is_section(f: Field) -> bool:
    return bool(f.metadata.get("section"))


# --- checks -----------------------------------------------------------------------------------


def positive(value: Any) -> str | None:
    return None if value > 0 else f"must be positive, not {value!r}"


def not_negative(value: Any) -> str | None:
    return None if value >= 0 else f"must not be negative, not {value!r}"


def percent(value: Any) -> str | None:
    return None if 0 < value <= 100 else f"must be above 0 and at most 100, not {value!r}"


def port(value: Any) -> str | None:
    return None if 0 < value < 65536 else f"is not a port number (1-65535): {value!r}"


def not_blank(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


def between(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be from {low} to {high}, not {value!r}"

    return check


# --- coercion ---------------------------------------------------------------------------------


def coerce(kind: str, raw: Any, *, from_text: bool) -> Any:
    """``raw`` as a value of ``kind`` (the field's annotation as written). ``from_text``:
    the value came from an environment variable, so numbers and booleans arrive as text.
    Raises TypeError or ValueError with a short reason."""
    optional = kind.endswith(" | None")
    base = kind.removesuffix(" | None")
    if optional and (raw is None or raw == ""):
        return None
    if base == "bool":
        return as_bool(raw)
    if base == "float":
        return as_number(raw)
    if base == "int":
        number = as_number(raw)
        if number != int(number):
            raise ValueError(f"not a whole number: {raw!r}")
        return int(number)
    if base == "str":
        if not isinstance(raw, str):
            raise TypeError(f"expected text, not {raw!r}")
        return raw
    if base == "tuple[str, ...]":
        if from_text and isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
            raise TypeError(f'expected a list of names such as ["gpu-box"], not {raw!r}')
        return tuple(raw)
    if base == "dict[str, str]":
        if not isinstance(raw, dict):
            raise TypeError("expected a table")
        return {str(k): str(v) for k, v in raw.items()}
    raise TypeError(f"cannot read a {kind} setting")  # pragma: no cover - a declaration bug


def as_number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise TypeError(f"not a number: {raw!r}")
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"not a number: {raw!r}") from None


def as_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {raw!r} (true/false, yes/no, on/off, 1/0)")
