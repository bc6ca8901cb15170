"""The ``keymap`` setting: binding id -> keys, checked against the ids the app defines.

Kept apart from the UI so the CLI and tests can check a config without starting Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def keymap_problems(keymap: Mapping[str, str], known_ids: Iterable[str]) -> list[str]:
    """What is wrong with a keymap, one sentence per problem (empty when it is fine).

    An unknown binding id is named together with the ids that exist, so a typo is easy to
    fix; an entry without any key would silently unbind the action, so it is reported too.
    """
    known = sorted(set(known_ids))
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            problems.append(
                f"keymap: unknown binding id {binding_id!r} (known ids: {', '.join(known)})"
            )
        elif not [key for key in keys.split(",") if key.strip()]:
            problems.append(f"keymap: binding {binding_id!r} has no key")
    return problems


def cleaned(keymap: Mapping[str, str], known_ids: Iterable[str]) -> dict[str, str]:
    """The usable part of a keymap: known ids with at least one key, keys without spaces."""
    known = set(known_ids)
    result: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        parts = [key.strip() for key in keys.split(",") if key.strip()]
        if binding_id in known and parts:
            result[binding_id] = ",".join(parts)
    return result
