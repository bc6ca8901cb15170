"""The read-only guard: the one door every change passes.

Each backend Protocol of ``console.services`` says, once, what each of its members does:

- ``@reads``: looks only (a listing, a count, a price, an argv to show);
- ``@changes("stop instance {instance_id}")``: changes something outside this process (an
  instance's state, an S3 object, a file or a tmux session on a host, a mount). The text,
  filled in with the call's arguments, names what was refused. ``unless=`` names the calls
  that change nothing after all (a download into new files on this machine);
- ``@hands_out(Protocol)``: returns another backend (the launcher of EC2, the job manager of
  a host), itself handed out guarded;
- ``@internal("why")``: for the backends of the services layer only (a raw boto3 client);
  never reachable through the guard.

``Guarded(backend, Protocol, is_read_only)`` is what the services bundle hands to the UI and
the CLI. A ``changes`` member asks ``is_read_only()`` at the moment it is called (so locking a
session with ctrl+l takes effect at once, also for a dialog already open) and raises
ReadOnlyError instead of calling the backend. A member the Protocol does not declare is not
reachable at all: a new backend method is usable only once it is classified, and the test of
the guard fails until then.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from console.errors import ReadOnlyError

EffectKind = Literal["reads", "changes", "hands_out", "internal"]

#: where a Protocol member keeps its classification
EFFECT_ATTRIBUTE = "__console_effect__"

#: the end of every refusal (the CLI prints it as one line)
READ_ONLY_REASON = "the console is read-only"


@dataclass(frozen=True)
class Effect:
    """What a backend member does; see the module's docstring."""

    kind: EffectKind
    #: changes: what is refused, a format string over the call's arguments (or a function
    #: of them); internal: why it is not offered through the guard
    what: str | Callable[[Mapping[str, Any]], str] = ""
    #: changes: True for a call that changes nothing (given its arguments by name)
    unless: Callable[[Mapping[str, Any]], bool] | None = None
    #: hands_out: the Protocol of the backend returned
    protocol: type | None = None


def _mark(function: Callable[..., Any], effect: Effect) -> Callable[..., Any]:
    setattr(function, EFFECT_ATTRIBUTE, effect)
    return function


def reads(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a Protocol member that only looks."""
    return _mark(function, Effect("reads"))


def changes(
    what: str | Callable[[Mapping[str, Any]], str],
    *,
    unless: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Protocol method that changes something; refused while read-only.

    ``what`` is formatted with the call's arguments (``"stop instance {instance_id}"``), or
    is a function of them; ``unless(arguments)`` is True for a call that changes nothing and
    may run anyway.
    """
    return lambda function: _mark(function, Effect("changes", what=what, unless=unless))


def hands_out(protocol: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Protocol member (method or property) returning a backend of ``protocol``."""
    return lambda function: _mark(function, Effect("hands_out", protocol=protocol))


def internal(why: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a backend member used inside the services layer only, never handed out."""
    return lambda function: _mark(function, Effect("internal", what=why))


def _member(protocol: type, name: str) -> Any:
    for klass in protocol.__mro__:
        if klass is object or klass.__module__ == "typing":
            continue
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _function_of(member: Any) -> Any:
    return member.fget if isinstance(member, property) else member


@functools.cache
def effect_of(protocol: type, name: str) -> Effect | None:
    """The classification of ``protocol``'s member ``name`` (None: undeclared or unmarked)."""
    member = _member(protocol, name)
    return getattr(_function_of(member), EFFECT_ATTRIBUTE, None) if member is not None else None


def declared(protocol: type) -> dict[str, Effect | None]:
    """Every public member ``protocol`` declares, with its classification (None: unmarked)."""
    names: dict[str, Effect | None] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or klass.__module__ == "typing":
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or not (callable(member) or isinstance(member, property)):
                continue
            names[name] = getattr(_function_of(member), EFFECT_ATTRIBUTE, None)
    return names


def describe(effect: Effect, arguments: Mapping[str, Any]) -> str:
    """What a ``changes`` call would do, in words, from its arguments."""
    what = effect.what
    return what(arguments) if callable(what) else what.format_map(arguments)


@functools.cache
def _signature(protocol: type, name: str) -> inspect.Signature:
    return inspect.signature(_function_of(_member(protocol, name)))


def refusal(what: str) -> ReadOnlyError:
    """The one wording of a refusal: ``Refusing to WHAT: the console is read-only.``"""
    return ReadOnlyError(f"Refusing to {what}: {READ_ONLY_REASON}.")


class Guarded:
    """``backend`` as its Protocol declares it, each change refused while read-only.

    ``is_read_only()`` is asked at each call of a ``changes`` member. Reading an attribute
    the Protocol does not declare (or declares ``internal``) raises AttributeError.
    """

    __slots__ = ("_backend", "_protocol", "_is_read_only")

    def __init__(self, backend: Any, protocol: type, is_read_only: Callable[[], bool]):
        object.__setattr__(self, "_backend", backend)
        object.__setattr__(self, "_protocol", protocol)
        object.__setattr__(self, "_is_read_only", is_read_only)

    def __repr__(self) -> str:
        return f"Guarded({self._backend!r}, {self._protocol.__name__})"

    def __setattr__(self, name: str, value: Any) -> None:
        # set on the backend itself (a test replacing a method): reading it back still
        # passes the guard, which looks every member up on the Protocol
        setattr(self._backend, name, value)

    def __getattr__(self, name: str) -> Any:
        effect = effect_of(self._protocol, name)
        if effect is None or effect.kind == "internal":
            raise AttributeError(
                f"{self._protocol.__name__} offers no {name!r} through the services "
                "(a backend member is reachable once its Protocol declares it)"
            )
        value = getattr(self._backend, name)
        if effect.kind == "reads":
            return value
        if effect.kind == "hands_out":
            assert effect.protocol is not None
            if isinstance(_member(self._protocol, name), property):
                return self._child(value, effect.protocol)
            return self._handing_out(value, effect.protocol)
        return self._refusing(name, value, effect)

    def _child(self, backend: Any, protocol: type) -> Any:
        """``backend`` guarded by the same read-only question as this one."""
        return guard(backend, protocol, self._is_read_only)

    def _handing_out(self, method: Callable[..., Any], protocol: type) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._child(method(*args, **kwargs), protocol)

        return call

    def _refusing(self, name: str, method: Callable[..., Any], effect: Effect) -> Callable[..., Any]:
        signature = _signature(self._protocol, name)

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            if self._is_read_only():
                bound = signature.bind(None, *args, **kwargs)
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                arguments.pop(next(iter(signature.parameters)), None)  # self
                if effect.unless is None or not effect.unless(arguments):
                    raise refusal(describe(effect, arguments))
            return method(*args, **kwargs)

        return call


def guard(backend: Any, protocol: type, is_read_only: Callable[[], bool]) -> Any:
    """``backend`` guarded (None stays None; an already guarded backend stays as it is)."""
    if backend is None or isinstance(backend, Guarded):
        return backend
    return Guarded(backend, protocol, is_read_only)
