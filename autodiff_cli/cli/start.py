"""The console script's first instructions: SIGINT, SIGTERM and SIGHUP are
caught when this module is imported, before anything else is, so that one that
comes while the command loads ends it with one ``error:`` line (not a
traceback, nor a silent death). Until :mod:`autodiff_cli.cli.process` takes
over, a signal is only noted (an exception raised inside an import can come
out as another), and acted on as soon as it does. Only the interpreter's own
start, and the import of the package's empty ``__init__`` modules, come before
this."""

import _signal  # the C core of `signal`, loaded with the interpreter: nothing to import

_received: list[int] = []
"""Signals that came before the command line's own handler was in place."""


def _early(signum: int, frame: object) -> None:
    _received.append(signum)


# At import, as the console script's first instruction (this module is imported by it and by
# `python -m autodiff_cli` alone).
for _signum in (2, 15, 1):  # SIGINT, SIGTERM, SIGHUP: the same numbers on every POSIX system
    try:
        if _signal.getsignal(_signum) not in (_signal.SIG_IGN, None):  # an ignored one stays ignored
            _signal.signal(_signum, _early)
    except (ValueError, OSError, AttributeError):  # not the main thread, or no such signal here (Windows)
        continue


def run() -> None:
    from .main import run as run_command  # lazily: after the signal handlers, so a signal as it loads is noted

    run_command(_received)
