"""What a Dask cluster is sent, so that a worker (or a scheduler) whose Python
cannot import autodiff, or imports another version of it, is one error line
within a bounded time, not a run that hangs.

Dask pickles a task's function by reference: a worker without the package
fails to decode the message that carries it, closes, and the task waits for
another worker without end (a scheduler without it refuses the whole graph).
So every call is sent as the standard library's ``pickle.loads`` applied to
bytes (:func:`shipped`): any Python decodes that message, and importing
autodiff happens inside the task, where a failure is the task's own exception,
sent back to the command. Before any task, every worker is asked for its
version (:func:`check_workers`), with a deadline (:func:`~.scheduler.dask_timeout`):
a worker that hangs while it imports is said too.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

from ..base.errors import UsageError, quoted, shortened
from .scheduler import TIMEOUT_VARIABLE, cluster_name


class _Call:
    """A call that unpickling makes: ``pickle.loads`` of it is ``func(*args)``."""

    def __init__(self, func: Any, args: tuple) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple]:
        return self.func, self.args


def shipped(func: Any, *args: Any) -> bytes:
    """``func(*args)`` as bytes that ``pickle.loads`` turns into the call's result on a worker."""
    return pickle.dumps(_Call(func, args), protocol=pickle.HIGHEST_PROTOCOL)


def version() -> str:
    """This autodiff's version (on a worker: the worker's)."""
    return sys.modules[__name__.split(".")[0]].__version__


def checked(expected: str, func: Any, *args: Any) -> Any:
    """``func(*args)`` on a worker whose autodiff is version ``expected``; a
    worker of another version refuses (it might compute something else)."""
    if version() != expected:
        raise UsageError(_mismatch("a Dask worker", version(), expected))
    return func(*args)


def _mismatch(worker: str, theirs: str, ours: str) -> str:
    return (f"{worker} runs autodiff {shortened(str(theirs), 40)}, this is autodiff {ours}: "
            f"install autodiff-cli {ours} where the workers run")


def cannot_run(worker: str, exc: BaseException) -> UsageError:
    """The error for a worker that cannot import autodiff (or a part of it)."""
    why = shortened(" ".join(f"{type(exc).__name__}: {exc}".split()), 200)
    return UsageError(f"{worker} cannot run autodiff ({why}): install autodiff-cli {version()} "
                      '(with its "cluster" extra) where the workers run')


def foreign(exc: BaseException) -> bool:
    """Whether a task's failure is its worker's lack of autodiff (or of this
    version of it): the import, or pickle finding no such function in it."""
    if isinstance(exc, ImportError):
        return (exc.name or "").split(".")[0] == __name__.split(".")[0] or "autodiff" in str(exc)
    return isinstance(exc, AttributeError) and str(exc).startswith("Can't get attribute")


def check_workers(client: Any, address: str, timeout: float) -> None:
    """Every worker of the cluster now can import autodiff, of this version;
    asked at once, answered within ``timeout`` seconds (a cluster with no
    worker yet passes: its first task says the same, see :func:`foreign`)."""
    try:
        answers = client.run(pickle.loads, shipped(version), on_error="return", callback_timeout=timeout)
    except (TimeoutError, OSError) as exc:
        if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
            raise UsageError(f"the workers of {cluster_name(address)} did not say within {timeout:g} s whether "
                             f"they can run autodiff (set {TIMEOUT_VARIABLE} to wait longer)") from None
        raise
    ours = version()
    for worker, answer in sorted(answers.items()):
        name = f"the Dask worker at {quoted(worker)}"
        if isinstance(answer, BaseException):
            raise cannot_run(name, answer)
        if answer != ours:
            raise UsageError(_mismatch(name, answer, ours))
