"""Writing output files (``graph -o``, ``plot -o``) by the kind of the target.

- a regular file, or a name not yet taken: written to a temporary file beside
  it and renamed into place, so it is replaced whole or not at all;
- a character or block device, or a FIFO: opened and written through, never
  replaced (``-o /dev/null`` must not swap the system's device for a file);
- a symbolic link: what it points to, by the rules above (the link stays);
- a directory: refused.

A temporary file lives in a module-level registry while it exists: an
exception (Ctrl-C, or a signal its handler raises) removes it as the write
unwinds, and :func:`cleanup` removes them all for a handler that ends the
process at once. This module installs no handler of its own: a signal's
default course (the end of the process) would leave the file behind.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .errors import PATH_LIMIT, AutodiffError, UsageError, quoted

_pending: set[str] = set()
"""Temporary files that exist (or are about to) and must not outlive the process."""


def cleanup() -> None:
    """Remove every temporary file still pending (safe to call from a signal handler)."""
    for tmp in list(_pending):
        _remove(tmp)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` by the rules of the module docstring."""
    with open_atomic(path) as f:
        f.write(data)


def _fail(name: str, why: str) -> UsageError:
    """A target that cannot be written at all (no such folder, a directory, no permission): the user's to fix."""
    return UsageError(f"cannot write {quoted(name, PATH_LIMIT)}: {why}")


_IO_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def _failed_write(name: str, exc: OSError) -> AutodiffError:
    """Writing failed part-way: a full disk or a device error is an I/O failure,
    status 1, as for a full standard output; anything else (a device that takes
    no data) is the target's fault, a usage error."""
    if exc.errno not in _IO_FAILURES:
        return _fail(name, exc.strerror or str(exc))
    return AutodiffError(f"cannot write {quoted(name, PATH_LIMIT)}: {exc.strerror or exc}")


def _target(name: str) -> str | None:
    """The regular file to replace (the link's target for a symbolic link),
    or None for a device or FIFO, which is written through."""
    if not name:
        raise _fail(name, "the file name is empty")
    if "\x00" in name:
        raise _fail(name, "the file name holds a NUL character")
    if name.endswith(os.sep) or os.path.basename(name) in (".", ".."):
        raise _fail(name, "it is a directory")
    try:
        mode = os.stat(name).st_mode  # through any links (/dev/stdout to a pipe, say)
    except FileNotFoundError:
        mode = None  # a new file, or a dangling link: its target is made
    except OSError as exc:
        raise _fail(name, exc.strerror or str(exc)) from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise _fail(name, "it is a directory")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            return None
        if not stat.S_ISREG(mode):
            raise _fail(name, "not a regular file, device or FIFO")
    return os.path.realpath(name) if os.path.islink(name) else name


def _create_temporary(name: str, directory: str) -> str:
    """A new empty file in ``directory``, registered before it exists. The name
    is short (24 characters) whatever the target's, so a name of NAME_MAX works."""
    for _ in range(100):
        tmp = os.path.join(directory, f".autodiff-{secrets.token_hex(5)}.tmp")
        _pending.add(tmp)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return tmp
        except FileExistsError:
            _pending.discard(tmp)
        except OSError as exc:
            _pending.discard(tmp)
            raise _fail(name, exc.strerror or str(exc)) from None
    raise _fail(name, "no free temporary name in its directory")


def _remove(tmp: str) -> None:
    _pending.discard(tmp)
    try:
        os.unlink(tmp)
    except OSError:
        pass


@contextmanager
def open_atomic(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to stream into, by the rules of the module docstring: a
    regular file appears whole when the block ends, and an exception (a failed
    write, Ctrl-C) leaves the target as it was, with no temporary file behind."""
    name = os.fspath(path)
    target = _target(name)
    if target is None:  # a device or FIFO (which waits for its reader): written through
        try:
            fd = os.open(name, os.O_WRONLY)
        except OSError as exc:
            raise _fail(name, exc.strerror or str(exc)) from None
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
        except OSError as exc:
            raise _failed_write(name, exc) from None
        return
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        tmp = _create_temporary(name, directory)
    except BaseException:  # Ctrl-C between making the file and handing it over
        cleanup()
        raise
    try:
        try:
            with os.fdopen(os.open(tmp, os.O_WRONLY), "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise _failed_write(name, exc) from None
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        _pending.discard(tmp)
    except OSError as exc:
        _remove(tmp)
        raise _fail(name, exc.strerror or str(exc)) from None
    except BaseException:
        _remove(tmp)
        raise
