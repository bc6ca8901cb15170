"""Completion while typing: host names in host fields, names of a folder in path fields.

Two Textual suggesters, shared by every form that asks for a host or a path:

- ``HostSuggester`` completes the last host of a field (several hosts are separated by
  commas or blanks) from ``services.completion.host_names()``: "local", the running
  instances' names and ids, the ssh config's aliases and ``[jobs] hosts``;
- ``PathSuggester`` completes the last part of a path with the names of its folder on the
  field's host (``services.completion.list_folder``: this machine, or SFTP on an SSH host),
  a folder with a trailing ``/``. With ``locations=True`` the field holds a location as
  ``cp`` and ``count`` read it (``console.models.location``): ``HOST:path`` completes the
  HOST part first (with its ``:``), then the path on HOST; ``s3://…`` completes nothing.

Every look-up blocks, so none runs on the UI thread: each runs on a daemon thread of its
own, at most one per key and one per host at a time (a dead host holds one thread, not one
per key typed), and its answer (or its failure) is kept for a few seconds. Not a Textual
thread worker: one look-up serves every field of the app that asks for the same folder, and
one hanging on a dead host belongs to no screen and is never waited for. A suggestion
waits for its look-up at most ``wait_s`` seconds and then gives none; Textual asks for
suggestions in a worker and drops one that comes for a value no longer typed, so typing
never waits. A host that could not be reached gives no suggestion for a while. Anything that
goes wrong is no suggestion, never an error. Names are shown as they are written (an Input
draws its suggestion as plain text); a name with control characters is never suggested.
"""

from __future__ import annotations

import asyncio
import posixpath
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from textual.suggester import Suggester

from console.errors import HostError, RemoteFileError

if TYPE_CHECKING:
    from console.models import FolderEntry
    from console.services import Services

#: seconds a suggestion waits for its look-up before giving none (the look-up goes on and
#: its answer serves the next keystroke)
WAIT_S = 10.0
#: seconds the host names are kept (the instances change slowly)
HOSTS_TTL_S = 30.0
#: seconds a folder's names are kept (a folder being filled changes fast)
FOLDER_TTL_S = 5.0
#: seconds a host that could not be reached gets no new look-up
FAILED_HOST_TTL_S = 15.0
#: look-ups running at once, all fields together
MAX_RUNNING = 8
#: what separates the hosts of a field that takes several
HOST_SEPARATORS = frozenset(" ,\t")

#: where a field's host comes from: a name, None (this machine as the console sees it),
#: or a function reading it from another field when a suggestion is asked for
HostChoice = str | None | Callable[[], str | None]


class Lookups:
    """Blocking look-ups on daemon threads, their answers kept for a while (see the module's
    docstring). Thread-safe; the threads never touch the UI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: key -> (kept until, the finished future)
        self._kept: dict[Hashable, tuple[float, Future]] = {}
        #: key -> (host, the running future)
        self._running: dict[Hashable, tuple[str | None, Future]] = {}
        #: host -> failing until
        self._failed: dict[str, float] = {}

    def ask(
        self, key: Hashable, call: Callable[[], Any], *, ttl: float, host: str | None = None
    ) -> Future | None:
        """The future of ``call()``'s answer for ``key``: a kept one, the one running, or a
        new thread's. None (no look-up) while ``host`` is failing or busy with another key,
        or while too many look-ups run."""
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] > now:
                return kept[1]
            running = self._running.get(key)
            if running is not None:
                return running[1]
            if host is not None and (
                self._failed.get(host, 0.0) > now
                or any(busy == host for busy, _ in self._running.values())
            ):
                return None
            if len(self._running) >= MAX_RUNNING:
                return None
            future: Future = Future()
            future.set_running_or_notify_cancel()  # a waiter giving up cannot cancel it
            self._running[key] = (host, future)
        thread = threading.Thread(
            target=self._run, args=(key, call, ttl, host, future), daemon=True,
            name=f"complete {str(key)[:60]}",
        )  # fmt: skip
        thread.start()
        return future

    def _run(
        self, key: Hashable, call: Callable[[], Any], ttl: float, host: str | None, future: Future
    ) -> None:
        error: BaseException | None = None
        try:
            answer = call()
        except Exception as exc:  # kept as the answer: no suggestion until it is old
            error, answer = exc, None
        with self._lock:
            now = time.monotonic()
            self._running.pop(key, None)
            self._kept[key] = (now + ttl, future)
            if (
                host is not None
                and isinstance(error, HostError)
                and not isinstance(error, RemoteFileError)
            ):  # unreachable, refused, unknown: not a folder that is missing
                self._failed[host] = now + FAILED_HOST_TTL_S
            for old in [k for k, (until, _) in self._kept.items() if until <= now]:
                del self._kept[old]
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(answer)


async def answer_of(future: Future | None, wait_s: float) -> Any | None:
    """The answer of ``future`` once there is one, None after ``wait_s`` seconds or when the
    look-up failed. Awaits on the event loop; never blocks it."""
    if future is None:
        return None
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def settle() -> None:
        if not waiter.done():
            waiter.set_result(None)

    def finished(_: Future) -> None:
        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the app (and its loop) ended first
            pass

    future.add_done_callback(finished)
    try:
        await asyncio.wait_for(waiter, wait_s)
    except TimeoutError:
        return None
    if future.exception() is not None:
        return None
    return future.result()


class Completions:
    """The look-ups of one bundle of services, shared by every field of the app."""

    def __init__(self, services: Services):
        self.services = services
        self.lookups = Lookups()

    def host_names(self) -> Future | None:
        services = self.services
        # services.completion is built on first use (it loads the host layer): in the thread
        return self.lookups.ask(
            ("hosts",), lambda: services.completion.host_names(), ttl=HOSTS_TTL_S
        )

    def folder(self, host: str | None, folder: str) -> Future | None:
        services = self.services
        return self.lookups.ask(
            ("folder", host, folder),
            lambda: services.completion.list_folder(host, folder),
            ttl=FOLDER_TTL_S,
            host=host,
        )


_SHARED: weakref.WeakKeyDictionary[Any, Completions] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def completions_for(services: Services) -> Completions:
    """The one ``Completions`` of ``services``."""
    with _SHARED_LOCK:
        found = _SHARED.get(services)
        if found is None:
            found = _SHARED[services] = Completions(services)
        return found


def typeable(name: str) -> bool:
    """Whether a name can be offered in a text field: no control or format characters (a
    name is otherwise shown exactly as it is written: brackets, blanks, a leading ``-``)."""
    return bool(name) and not any(
        unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name
    )


def last_word(value: str) -> tuple[str, str]:
    """``"gpu-a, gp"`` -> (``"gpu-a, "``, ``"gp"``): what stays, and the host being typed."""
    start = len(value)
    while start > 0 and value[start - 1] not in HOST_SEPARATORS:
        start -= 1
    return value[:start], value[start:]


def first_host(text: str) -> str | None:
    """The first host of a field that takes several (None when it holds none)."""
    parts = [part for part in text.replace(",", " ").split() if part]
    return parts[0] if parts else None


def pick_host(names: Iterable[str], typed: str) -> str | None:
    """The first of ``names`` that starts with ``typed`` and is longer."""
    return next(
        (name for name in names if name.startswith(typed) and name != typed and typeable(name)),
        None,
    )


def pick_entry(entries: Sequence[FolderEntry], partial: str) -> str | None:
    """The completion of ``partial`` among a folder's names: the first by name that starts
    with it (hidden names only when it starts with a dot), a folder with ``/``; None when
    there is none or ``partial`` is complete already."""
    for entry in sorted(entries, key=lambda e: e.name):
        name = entry.name
        if not name.startswith(partial) or not typeable(name) or "/" in name:
            continue
        if name.startswith(".") and not partial.startswith("."):
            continue
        text = name + "/" if entry.is_dir else name
        if text != partial:
            return text
        return None
    return None


class _Suggester(Suggester):
    """Case-sensitive, uncached (folders change), and never raising: a suggester that raises
    would end the app, since Textual runs it in a worker that exits on error."""

    def __init__(self, services: Services, *, wait_s: float = WAIT_S):
        super().__init__(use_cache=False, case_sensitive=True)
        self.completions = completions_for(services)
        self.wait_s = wait_s

    async def get_suggestion(self, value: str) -> str | None:
        try:
            return await self.suggest(value)
        except Exception:  # no suggestion is the worst a completion may do
            return None

    async def suggest(self, value: str) -> str | None:
        raise NotImplementedError

    async def host_completion(self, typed: str, first: Sequence[str] = ()) -> str | None:
        """The host name ``typed`` begins: among ``first`` at once, else the known hosts."""
        if not typed:
            return None
        found = pick_host(first, typed)
        if found is None:
            names = await answer_of(self.completions.host_names(), self.wait_s)
            found = pick_host(names or (), typed)
        return found


class HostSuggester(_Suggester):
    """Completes the host being typed (the last one when ``several``); ``first`` are names
    offered before the known hosts (a form's own hosts, a word such as ``new``)."""

    def __init__(
        self,
        services: Services,
        *,
        several: bool = False,
        first: Sequence[str] = (),
        wait_s: float = WAIT_S,
    ):
        super().__init__(services, wait_s=wait_s)
        self.several = several
        self.first = tuple(first)

    async def suggest(self, value: str) -> str | None:
        head, typed = last_word(value) if self.several else ("", value)
        found = await self.host_completion(typed, self.first)
        return head + found if found is not None else None


class PathSuggester(_Suggester):
    """Completes the last part of a path on ``host`` (see ``HostChoice``); a relative path
    starts from ``base()`` when given (else from the host's home, or for this machine from
    the console's working folder). With ``locations`` the field holds a location: ``HOST:``
    first, then the path on HOST; a plain path is on ``host``."""

    def __init__(
        self,
        services: Services,
        *,
        host: HostChoice = None,
        base: Callable[[], str] | None = None,
        locations: bool = False,
        wait_s: float = WAIT_S,
    ):
        super().__init__(services, wait_s=wait_s)
        self.host = host
        self.base = base
        self.locations = locations

    def _host(self) -> str | None:
        return self.host() if callable(self.host) else self.host

    async def suggest(self, value: str) -> str | None:
        if not value:
            return None
        if not self.locations:
            host = self._host()
            if callable(self.host) and not host:
                return None  # the host field is empty: nowhere to look
            return await self.path_completion(host, value)
        if value[:5].lower() == "s3://" or value.startswith("["):
            return None
        head, colon, path = value.partition(":")
        if colon and "/" not in head:  # scp's rule: HOST:path
            completed = await self.path_completion(head, path) if head else None
            return f"{head}:{completed}" if completed is not None else None
        if "/" not in value and not value.startswith(("~", ".")):
            found = await self.host_completion(value)
            if found is not None:
                return found + ":"
        return await self.path_completion(self._host(), value)

    async def path_completion(self, host: str | None, path: str) -> str | None:
        """``path`` with its last part completed on ``host``, or None."""
        if path == "~":
            return "~/"
        if path.startswith("~") and "/" not in path:
            return None  # ~user: not listed
        folder, slash, partial = path.rpartition("/")
        where = (folder or "/") if slash else "."
        if self.base is not None and not path.startswith(("/", "~")):
            where = posixpath.join(self.base() or "~", where)
        entries = await answer_of(self.completions.folder(host, where), self.wait_s)
        if not entries:
            return None
        found = pick_entry(entries, partial)
        return path[: len(path) - len(partial)] + found if found is not None else None
