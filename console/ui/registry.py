"""The views of the main screen, in the order of their number keys."""

from __future__ import annotations

from console.ui.buckets.view import BucketsView
from console.ui.common.view_base import ConsoleView
from console.ui.files.view import FilesView
from console.ui.gpu.view import GpuView
from console.ui.instances.view import InstancesView
from console.ui.jobs.view import JobsView
from console.ui.runs.view import RunsView

#: key 1 shows the first, key 2 the second, …; ``:<view_id>`` reaches each one
VIEWS: tuple[type[ConsoleView], ...] = (
    InstancesView, BucketsView, JobsView, GpuView, FilesView, RunsView,
)  # fmt: skip


def resolve_view(word: str) -> type[ConsoleView] | None:
    """The view a ``:`` command names: its id, an alias, or an unambiguous prefix of one."""
    word = word.strip().lower().lstrip(":")
    if not word:
        return None
    names = {name: view for view in VIEWS for name in (view.view_id, *view.aliases)}
    if word in names:
        return names[word]
    matches = {view for name, view in names.items() if name.startswith(word)}
    return matches.pop() if len(matches) == 1 else None


def view_words() -> list[str]:
    """Every word the ``:`` prompt completes: view ids first, then aliases."""
    return [view.view_id for view in VIEWS] + [a for view in VIEWS for a in view.aliases]
