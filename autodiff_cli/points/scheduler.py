"""What a Dask address is, whether a Dask scheduler answers there, and whether
it has workers (:class:`Workers`: tasks otherwise wait for one without end).

Dask's own client trusts what answers: its first read allocates whatever size
the other end announces (8 bytes saying 2e9 are 2 GB), and garbage comes back
as ``MemoryError`` or ``struct.error``. So before Dask connects, a plain socket
does what its client does first, bounded in bytes and time: it sends Dask's
handshake, reads the other end's (a few dozen bytes), asks ``identity`` and
reads the answer, which must say ``Scheduler`` (at most ``IDENTITY_BYTES``).
Whatever else answers is one error line. Past this check the scheduler is trusted, as Dask trusts it: its
protocol carries pickled Python objects, so connect only to a scheduler you
trust. A ``tls://`` address is checked by TLS itself (Dask's configured
certificates), not here.
"""

from __future__ import annotations

import ipaddress
import os
import pickle
import re
import socket
import struct
import sys
import time

from ..base.errors import UsageError, quoted, shortened

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

FORMS = "local, local:N (N worker processes here), tcp://HOST:PORT, HOST:PORT or tls://HOST:PORT"
HANDSHAKE_BYTES = 1 << 16  # a handshake is about 60 bytes
IDENTITY_BYTES = 1 << 26  # an identity lists the workers, some hundred bytes each
WORKERS_NOTE = 10  # seconds without a worker before a note says that the run waits for one
DEFAULT_TIMEOUT = 60.0  # seconds: see dask_timeout
TIMEOUT_VARIABLE = "AUTODIFF_DASK_TIMEOUT"
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?\Z")


class Address:
    """A parsed ``--dask`` value: ``scheme`` ``local`` (``port`` is the number of
    workers), ``tcp`` or ``tls``; ``text`` is the address as Dask takes it."""

    def __init__(self, scheme: str, host: str, port: int) -> None:
        self.scheme, self.host, self.port = scheme, host, port
        self.text = "local" if scheme == "local" else f"{scheme}://{host}:{port}"


def parse_address(address: str, cores: int) -> Address:
    """The address, or a usage error that says which forms are taken; ``cores``
    is the number of workers of ``local`` alone."""
    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2] or str(cores)
        if not count.isdigit() or not 1 <= int(count) <= 1024:
            raise UsageError(f"local:N takes a number of workers from 1 to 1024, not {quoted(count)}")
        return Address("local", "", int(count))
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in ("tcp", "tls"):
        raise _malformed(address, f"the scheme {quoted(scheme)} is not one of them")
    host, colon, port = rest.rpartition(":")
    if not colon or not port.isdigit():
        raise _malformed(address, "no port number after the host")
    if not 1 <= int(port) <= 65535:
        raise _malformed(address, f"the port {port} is not from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise _malformed(address, f"{quoted(host)} is not an IPv6 address") from None
    elif ":" in host:
        raise _malformed(address, "an IPv6 address goes in brackets: tcp://[::1]:8786")
    elif not _HOST.match(host):
        raise _malformed(address, f"{quoted(host)} is not a host name or address")
    return Address(scheme, host, int(port))


def _malformed(address: str, why: str) -> UsageError:
    return UsageError(f"{quoted(address)} is not a Dask address ({why}): the forms are {FORMS}")


def dask_timeout() -> float:
    """How long a run waits on the cluster before it says why it cannot go on
    (seconds, ``AUTODIFF_DASK_TIMEOUT``, 60 by default): for a first worker, and
    for the workers' answer to whether they can run autodiff at all."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 86_400:
        raise UsageError(f"{TIMEOUT_VARIABLE} must be a number of seconds above 0 and up to 86400, not {quoted(text)}")
    return seconds


def cluster_name(address: str) -> str:
    """The cluster as messages name it."""
    local = address == "local" or address.startswith("local:")
    return "the local cluster" if local else f"the Dask scheduler at {quoted(address)}"


class Workers:
    """How long the cluster at ``address`` has been without a worker: a note
    after ``WORKERS_NOTE`` seconds (a remote one's: local workers only take a
    while to start), an error after ``wait`` seconds (:func:`dask_timeout`).
    Tasks wait for a worker without end otherwise, and an adaptive cluster
    starts workers for them."""

    def __init__(self, client: Any, address: str, notice: Callable[[str], None] | None, timeout: float,
                 wait: float | None = None) -> None:
        local = address == "local" or address.startswith("local:")
        self.name = cluster_name(address)
        self.client, self.notice, self.timeout = client, None if local else notice, timeout
        self.wait = dask_timeout() if wait is None else wait
        self.since: float | None = None
        self.asked = float("-inf")

    def check(self, now: float) -> None:
        """Called while no task ends; raises once the wait is over."""
        if now - self.asked < 1:  # the scheduler is asked once a second
            return
        self.asked = now
        try:
            count = len(self.client.nthreads(callback_timeout=self.timeout))
        except (OSError, TimeoutError):
            count = 0  # the scheduler itself is gone: no worker either
        if count:
            self.since = None
            return
        if self.since is None:
            self.since = now
        waited = now - self.since
        if self.notice is not None and waited >= min(WORKERS_NOTE, self.wait / 2):
            self.notice(f"{self.name} has no workers: waiting up to {self.wait:g} s for one")
            self.notice = None
        if waited >= self.wait:
            raise UsageError(f"{self.name} has had no workers for {self.wait:g} s (set {TIMEOUT_VARIABLE} to "
                             "wait longer)")


def check_scheduler(address: Address, timeout: float) -> None:
    """Returns once a Dask scheduler has answered at the ``tcp`` address within
    ``timeout`` seconds, reading at most a bounded number of bytes; otherwise an
    ``OSError`` (``TimeoutError``) that says what answered."""
    deadline = time.monotonic() + timeout
    host = address.host.strip("[]")
    with socket.create_connection((host, address.port), timeout=timeout) as conn:
        hello = {"compression": None, "python": tuple(sys.version_info[:3]),
                 "pickle-protocol": pickle.HIGHEST_PROTOCOL}
        conn.sendall(_message(hello) + _message({"op": "identity", "reply": True}))
        theirs = _read_message(conn, deadline, HANDSHAKE_BYTES)
        if not isinstance(theirs, dict) or "pickle-protocol" not in theirs:
            raise OSError("something else answers there (not Dask's handshake)")
        identity = _read_message(conn, deadline, IDENTITY_BYTES)
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind != "Scheduler":
        what = f"a Dask {kind}" if isinstance(kind, str) and kind.isidentifier() else "Dask, but not a scheduler"
        raise OSError(f"{what} answers there, not a scheduler")


def _message(msg: dict) -> bytes:
    """One message as Dask's TCP comm sends it: its size, then the frame count,
    the frame sizes and the frames (here one, the message in msgpack)."""
    import msgpack  # lazily: a dependency of distributed; only a tcp:// address is checked

    frame = msgpack.dumps(msg, use_bin_type=True)
    body = struct.pack("QQ", 1, len(frame)) + frame
    return struct.pack("Q", len(body)) + body


def _read_message(conn: socket.socket, deadline: float, limit: int) -> object:
    """The next message (its first frame, in msgpack), of at most ``limit``
    bytes in all, before ``deadline``."""
    import msgpack  # lazily: a dependency of distributed; only a tcp:// address is checked

    (size,) = struct.unpack("Q", _read(conn, 8, deadline))
    if not 16 <= size <= limit:
        raise OSError(f"something else answers there (it announces a message of {size:,} bytes)")
    body = _read(conn, size, deadline)
    (count,) = struct.unpack_from("Q", body)
    if not 1 <= count <= 64 or 8 * (count + 1) > size:
        raise OSError("something else answers there (not Dask's framing)")
    lengths = struct.unpack_from(f"{count}Q", body, 8)
    start = 8 * (count + 1)
    if sum(lengths) != size - start:
        raise OSError("something else answers there (not Dask's framing)")
    try:
        return msgpack.loads(body[start:start + lengths[0]], raw=False, strict_map_key=False, use_list=False)
    except Exception as exc:  # noqa: BLE001 - whatever fails in decoding foreign bytes says the same
        raise OSError(f"something else answers there (not Dask's messages: {type(exc).__name__})") from None


def _read(conn: socket.socket, size: int, deadline: float) -> bytes:
    """Exactly ``size`` bytes, or ``TimeoutError`` at ``deadline`` (a slow trickle included)."""
    chunks, left = [], size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0:
            raise TimeoutError("no answer as a Dask scheduler in time")
        conn.settimeout(wait)
        try:
            chunk = conn.recv(min(left, 1 << 20))
        except TimeoutError:
            raise TimeoutError("no answer as a Dask scheduler in time") from None
        if not chunk:
            raise OSError("the connection was closed before an answer as a Dask scheduler")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)

# Whether the workers can run autodiff ---------------------------------------------------------------------
#
# What a Dask cluster is sent, so that a worker (or a scheduler) whose Python
# cannot import autodiff, or imports another version of it, is one error line
# within a bounded time, not a run that hangs.
#
# Dask pickles a task's function by reference: a worker without the package
# fails to decode the message that carries it, closes, and the task waits for
# another worker without end (a scheduler without it refuses the whole graph).
# So every call is sent as the standard library's ``pickle.loads`` applied to
# bytes (:func:`shipped`): any Python decodes that message, and importing
# autodiff happens inside the task, where a failure is the task's own exception,
# sent back to the command. Before any task, every worker is asked for its
# version (:func:`check_workers`), with a deadline (:func:`~.scheduler.dask_timeout`):
# a worker that hangs while it imports is said too.


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
